-- name: queries/behind_pace
-- params: as_of TIMESTAMPTZ
-- columns:
--   department_code         VARCHAR
--   department              VARCHAR
--   target_status           VARCHAR
--   ytd_vnd                 HUGEINT
--   plan_to_date_vnd        DOUBLE
--   shortfall_vnd           DOUBLE
--   pace_ratio              DOUBLE
--   projected_year_end_vnd  DOUBLE
--   target_vnd              BIGINT
--
-- Which departments are behind pace, and by how much? (estimate level, at $as_of)
-- shortfall_vnd is what the department would need today to be on plan.
SELECT department_code, department, target_status, ytd_vnd, plan_to_date_vnd,
       plan_to_date_vnd - ytd_vnd AS shortfall_vnd, pace_ratio, projected_year_end_vnd, target_vnd
FROM revenue_progress(CAST($as_of AS TIMESTAMPTZ))
WHERE level = 'estimate' AND pace_ratio < 1
ORDER BY shortfall_vnd DESC;
