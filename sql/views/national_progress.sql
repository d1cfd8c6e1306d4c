-- National revenue progress at as_of per target level: the national targets against the sum of all departments.
CREATE OR REPLACE MACRO national_progress(as_of) AS TABLE
WITH ytd AS (
    SELECT coalesce(CAST(sum(CASE kind WHEN 'refund' THEN -amount_vnd ELSE amount_vnd END) AS BIGINT), 0) AS ytd_vnd
    FROM revenue
    WHERE occurred_at >= from_local_time(make_timestamp(year(local_time(as_of)), 1, 1, 0, 0, 0))
      AND occurred_at <= CAST(as_of AS TIMESTAMPTZ)
)
SELECT t.level, t.status AS target_status, CAST(as_of AS TIMESTAMPTZ) AS as_of, y.ytd_vnd, t.amount_vnd AS target_vnd,
       plan_share(as_of, 'national') AS plan_share,
       t.amount_vnd * plan_share(as_of, 'national') AS plan_to_date_vnd,
       y.ytd_vnd / nullif(t.amount_vnd * plan_share(as_of, 'national'), 0) AS pace_ratio,
       y.ytd_vnd / nullif(plan_share(as_of, 'national'), 0) AS projected_year_end_vnd
FROM ytd y
JOIN targets t ON t.scope = 'national' AND t.year = year(local_time(as_of))
ORDER BY t.level;
