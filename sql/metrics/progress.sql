-- name: metrics/progress
-- params: as_of TIMESTAMPTZ
-- columns:
--   department_code         VARCHAR
--   level                   VARCHAR
--   ytd_vnd                 HUGEINT
--   target_vnd              BIGINT
--   plan_to_date_vnd        DOUBLE
--   pace_ratio              DOUBLE
--   projected_year_end_vnd  DOUBLE
--
-- Per department and target level: ytd, target, plan to date, pace and projection at $as_of.
SELECT department_code, level, ytd_vnd, target_vnd, plan_to_date_vnd, pace_ratio, projected_year_end_vnd
FROM revenue_progress(CAST($as_of AS TIMESTAMPTZ))
