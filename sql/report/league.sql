-- Every department at the estimate level at $as_of (revenue_progress), with its receipts this year:
-- a department without any is still listed, and the report says so.
WITH receipts AS (
    SELECT department_code, count(*) AS receipts
    FROM revenue
    WHERE occurred_at >= from_local_time(make_timestamp(year(local_time(CAST($as_of AS TIMESTAMPTZ))), 1, 1, 0, 0, 0))
      AND occurred_at <= CAST($as_of AS TIMESTAMPTZ)
    GROUP BY ALL
)
SELECT p.department_code, p.target_status, p.ytd_vnd, p.target_vnd, p.plan_to_date_vnd, p.pace_ratio,
       p.projected_year_end_vnd, p.projected_year_end_vnd / nullif(p.target_vnd, 0) AS projected_target_ratio,
       coalesce(r.receipts, 0) AS receipts
FROM revenue_progress(CAST($as_of AS TIMESTAMPTZ)) p
LEFT JOIN receipts r USING (department_code)
WHERE p.level = 'estimate' OR p.level IS NULL
ORDER BY p.department_code
