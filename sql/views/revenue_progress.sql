-- name: views/revenue_progress
-- defines: revenue_progress(as_of TIMESTAMPTZ)
-- columns:
--   department_code         VARCHAR
--   department              VARCHAR
--   level                   VARCHAR
--   target_status           VARCHAR
--   as_of                   TIMESTAMP WITH TIME ZONE
--   ytd_vnd                 HUGEINT
--   target_vnd              BIGINT
--   plan_share              DOUBLE
--   plan_to_date_vnd        DOUBLE
--   pace_ratio              DOUBLE
--   projected_year_end_vnd  DOUBLE
--
-- Revenue progress of every department at as_of, one row per target level (level is NULL where the
-- department has no target for the year). These are the contract's formulas, and /metrics reads
-- them from here (sql/metrics/progress.sql): ytd is net revenue from the start of the local year up
-- to as_of (revenue_ytd); plan_to_date = target x plan_share (plan_shares); pace = ytd / plan;
-- projection = ytd / plan_share; a value whose denominator is 0 is NULL.
-- Usage: SELECT * FROM revenue_progress(TIMESTAMPTZ '2021-06-30 17:00:00+00').
CREATE OR REPLACE MACRO revenue_progress(as_of) AS TABLE
WITH shares AS (
    SELECT d.code AS department_code, d.name_en AS department, coalesce(y.ytd_vnd, 0) AS ytd_vnd, p.plan_share
    FROM departments d
    JOIN plan_shares(as_of) p ON p.scope = d.code
    LEFT JOIN revenue_ytd(as_of) y ON y.department_code = d.code
)
SELECT s.department_code, s.department, t.level, t.status AS target_status, CAST(as_of AS TIMESTAMPTZ) AS as_of,
       s.ytd_vnd, t.amount_vnd AS target_vnd, s.plan_share,
       t.amount_vnd * s.plan_share AS plan_to_date_vnd,
       s.ytd_vnd / nullif(t.amount_vnd * s.plan_share, 0) AS pace_ratio,
       s.ytd_vnd / nullif(s.plan_share, 0) AS projected_year_end_vnd
FROM shares s
LEFT JOIN targets t ON t.scope = s.department_code AND t.year = year(local_time(as_of))
ORDER BY s.department_code, t.level;
