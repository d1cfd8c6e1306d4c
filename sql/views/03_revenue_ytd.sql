-- name: views/03_revenue_ytd
-- defines: revenue_ytd(as_of TIMESTAMPTZ)
-- columns:
--   department_code  VARCHAR
--   ytd_vnd          HUGEINT
--
-- Net revenue (collections minus refunds) per department from the start of the local year of
-- as_of up to as_of (the contract's ytd): whole local days from agg_revenue_day, and the rows of
-- as_of's own day up to as_of. Its cost follows the days of one year and one day's rows, never
-- the history. Departments without revenue have no row.
CREATE OR REPLACE MACRO revenue_ytd(as_of) AS TABLE
WITH bounds AS (
    SELECT CAST(local_time(as_of) AS DATE) AS as_of_day,
           make_date(year(local_time(as_of)), 1, 1) AS year_day,
           from_local_time(CAST(local_time(as_of) AS DATE)) AS as_of_day_start,
           CAST(as_of AS TIMESTAMPTZ) AS as_of_t
), parts AS (
    SELECT a.department_code, sum(CASE a.kind WHEN 'refund' THEN -a.amount_vnd ELSE a.amount_vnd END) AS net_vnd
    FROM agg_revenue_day a, bounds b
    WHERE a.day >= b.year_day AND a.day < b.as_of_day
    GROUP BY ALL
    UNION ALL
    SELECT r.department_code, sum(CASE r.kind WHEN 'refund' THEN -r.amount_vnd ELSE r.amount_vnd END)
    FROM revenue r, bounds b
    WHERE r.occurred_at >= b.as_of_day_start AND r.occurred_at <= b.as_of_t
    GROUP BY ALL
)
SELECT department_code, CAST(sum(net_vnd) AS HUGEINT) AS ytd_vnd
FROM parts
GROUP BY department_code;
