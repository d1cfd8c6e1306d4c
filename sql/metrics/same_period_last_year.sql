-- name: metrics/same_period_last_year
-- params: as_of TIMESTAMPTZ
-- columns:
--   department_code  VARCHAR
--   ytd_vnd          HUGEINT
--
-- Per department: net revenue from 1 January of the year before as_of's up to the same moment a
-- year earlier (local time), for year-on-year ratios in PromQL: revenue_ytd a year back, so the
-- same formula and the same cost (the days of one year and one day's rows). Departments without
-- revenue in that period have no row (a ratio against nothing is no ratio).
SELECT department_code, ytd_vnd
FROM revenue_ytd(from_local_time(local_time(CAST($as_of AS TIMESTAMPTZ)) - INTERVAL 1 YEAR))
WHERE ytd_vnd <> 0
ORDER BY department_code
