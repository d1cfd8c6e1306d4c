-- name: queries/shortfall_by_tax_type
-- params: as_of TIMESTAMPTZ
-- columns:
--   department_code  VARCHAR
--   tax_type         VARCHAR
--   ytd_vnd          BIGINT
--   national_share   DOUBLE
--   expected_vnd     DOUBLE
--   gap_vnd          DOUBLE
--
-- Which tax types drive a department's shortfall? For departments behind pace at $as_of, each tax
-- type's year-to-date net revenue against its part of the plan. The plan is split by the national
-- mix of gross collections (refunds left out) of the same period: each share lies between 0 and 1
-- and the shares sum to 1, so the parts sum to the plan and the gaps to the department's shortfall.
-- (A mix of net amounts gave a tax type with large refunds shares such as +400% and -300%.) The
-- most negative gap_vnd drives the shortfall most.
WITH behind AS (
    SELECT department_code, plan_to_date_vnd FROM revenue_progress(CAST($as_of AS TIMESTAMPTZ))
    WHERE level = 'estimate' AND pace_ratio < 1
), ytd AS (
    SELECT department_code, tax_type,
           CAST(sum(CASE kind WHEN 'refund' THEN -amount_vnd ELSE amount_vnd END) AS BIGINT) AS net_vnd,
           CAST(sum(CASE kind WHEN 'refund' THEN 0 ELSE amount_vnd END) AS BIGINT) AS gross_vnd
    FROM revenue
    WHERE occurred_at >= from_local_time(make_timestamp(year(local_time(CAST($as_of AS TIMESTAMPTZ))), 1, 1, 0, 0, 0))
      AND occurred_at <= CAST($as_of AS TIMESTAMPTZ)
    GROUP BY ALL
), mix AS (
    SELECT tax_type, sum(gross_vnd) / nullif(sum(sum(gross_vnd)) OVER (), 0) AS national_share FROM ytd GROUP BY tax_type
)
SELECT b.department_code, m.tax_type, coalesce(y.net_vnd, 0) AS ytd_vnd, m.national_share,
       b.plan_to_date_vnd * m.national_share AS expected_vnd,
       coalesce(y.net_vnd, 0) - b.plan_to_date_vnd * m.national_share AS gap_vnd
FROM behind b CROSS JOIN mix m
LEFT JOIN ytd y ON y.department_code = b.department_code AND y.tax_type = m.tax_type
ORDER BY b.department_code, gap_vnd;
