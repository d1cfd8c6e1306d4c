-- name: report/national
-- params: as_of TIMESTAMPTZ
-- columns:
--   level                   VARCHAR
--   target_status           VARCHAR
--   ytd_vnd                 HUGEINT
--   target_vnd              BIGINT
--   plan_to_date_vnd        DOUBLE
--   pace_ratio              DOUBLE
--   projected_year_end_vnd  DOUBLE
--
-- The headline: national net revenue to date against each target level at $as_of (national_progress).
SELECT level, target_status, ytd_vnd, target_vnd, plan_to_date_vnd, pace_ratio, projected_year_end_vnd
FROM national_progress(CAST($as_of AS TIMESTAMPTZ))
