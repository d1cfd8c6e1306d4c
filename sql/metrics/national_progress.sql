-- name: metrics/national_progress
-- params: as_of TIMESTAMPTZ
-- columns:
--   level                   VARCHAR
--   ytd_vnd                 HUGEINT
--   target_vnd              BIGINT
--   plan_to_date_vnd        DOUBLE
--   pace_ratio              DOUBLE
--   projected_year_end_vnd  DOUBLE
--
-- Nationally, per target level (level NULL when there is no national target): the same figures.
SELECT level, ytd_vnd, target_vnd, plan_to_date_vnd, pace_ratio, projected_year_end_vnd
FROM national_progress(CAST($as_of AS TIMESTAMPTZ))
