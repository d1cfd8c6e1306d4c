-- name: views/revenue_year_on_year
-- defines: revenue_year_on_year(as_of TIMESTAMPTZ)
-- columns:
--   department_code  VARCHAR
--   this_year_vnd    BIGINT
--   last_year_vnd    BIGINT
--   growth           DOUBLE
--
-- Net revenue from 1 January to as_of against the same period of the previous year, per department.
CREATE OR REPLACE MACRO revenue_year_on_year(as_of) AS TABLE
WITH bounds AS (
    SELECT from_local_time(make_timestamp(year(local_time(as_of)), 1, 1, 0, 0, 0)) AS this_start,
           CAST(as_of AS TIMESTAMPTZ) AS this_end,
           from_local_time(make_timestamp(year(local_time(as_of)) - 1, 1, 1, 0, 0, 0)) AS last_start,
           from_local_time(local_time(as_of) - INTERVAL 1 YEAR) AS last_end
)
SELECT d.code AS department_code,
       coalesce(CAST(sum(CASE r.kind WHEN 'refund' THEN -r.amount_vnd ELSE r.amount_vnd END)
                FILTER (r.occurred_at >= b.this_start AND r.occurred_at <= b.this_end) AS BIGINT), 0) AS this_year_vnd,
       coalesce(CAST(sum(CASE r.kind WHEN 'refund' THEN -r.amount_vnd ELSE r.amount_vnd END)
                FILTER (r.occurred_at >= b.last_start AND r.occurred_at <= b.last_end) AS BIGINT), 0) AS last_year_vnd,
       this_year_vnd / nullif(last_year_vnd, 0) - 1 AS growth
FROM departments d CROSS JOIN bounds b
LEFT JOIN revenue r ON r.department_code = d.code AND r.occurred_at >= b.last_start AND r.occurred_at <= b.this_end
GROUP BY d.code
ORDER BY d.code;
