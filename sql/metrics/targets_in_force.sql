-- name: metrics/targets_in_force
-- params: as_of TIMESTAMPTZ
-- columns:
--   scope   VARCHAR
--   level   VARCHAR
--   status  VARCHAR
--
-- The targets of the local year of $as_of, and whether each is official or illustrative.
SELECT scope, level, status FROM targets WHERE year = year(local_time(CAST($as_of AS TIMESTAMPTZ))) ORDER BY ALL
