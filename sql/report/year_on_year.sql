-- name: report/year_on_year
-- params: as_of TIMESTAMPTZ
-- columns:
--   this_year_vnd  BIGINT
--   last_year_vnd  BIGINT
--
-- Net revenue from 1 January to $as_of, and over the same period of the year before (revenue_year_on_year).
SELECT CAST(sum(this_year_vnd) AS BIGINT) AS this_year_vnd, CAST(sum(last_year_vnd) AS BIGINT) AS last_year_vnd
FROM revenue_year_on_year(CAST($as_of AS TIMESTAMPTZ))
