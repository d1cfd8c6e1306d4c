-- name: queries/slowest_offices
-- params: as_of TIMESTAMPTZ
-- columns:
--   office_code      VARCHAR
--   department_code  VARCHAR
--   cleared          BIGINT
--   median_hours     DOUBLE
--   p90_hours        DOUBLE
--
-- Which offices are slowest to release goods? P90 and median release time (hours) of declarations
-- registered in the 30 days up to $as_of, slowest first.
SELECT office_code, department_code, count(*) AS cleared,
       quantile_cont(release_hours, 0.5) AS median_hours, quantile_cont(release_hours, 0.9) AS p90_hours
FROM release_times
WHERE registered_at > CAST($as_of AS TIMESTAMPTZ) - INTERVAL 30 DAY AND registered_at <= CAST($as_of AS TIMESTAMPTZ)
  AND office_code IS NOT NULL
GROUP BY ALL
ORDER BY p90_hours DESC, office_code;
