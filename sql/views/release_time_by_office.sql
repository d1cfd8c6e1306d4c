-- name: views/release_time_by_office
-- defines: release_time_by_office
-- columns:
--   office_code      VARCHAR
--   department_code  VARCHAR
--   cleared          BIGINT
--   median_hours     DOUBLE
--   p90_hours        DOUBLE
--
-- Median and 90th percentile release time (hours) per customs office.
CREATE OR REPLACE VIEW release_time_by_office AS
SELECT office_code, department_code, count(*) AS cleared,
       quantile_cont(release_hours, 0.5) AS median_hours, quantile_cont(release_hours, 0.9) AS p90_hours
FROM release_times
WHERE office_code IS NOT NULL
GROUP BY ALL
ORDER BY office_code;
