-- name: views/release_time_by_channel
-- defines: release_time_by_channel
-- columns:
--   department_code  VARCHAR
--   channel          VARCHAR
--   cleared          BIGINT
--   median_hours     DOUBLE
--   p90_hours        DOUBLE
--
-- Median and 90th percentile release time (hours) per department and channel.
CREATE OR REPLACE VIEW release_time_by_channel AS
SELECT department_code, channel, count(*) AS cleared,
       quantile_cont(release_hours, 0.5) AS median_hours, quantile_cont(release_hours, 0.9) AS p90_hours
FROM release_times
GROUP BY ALL
ORDER BY department_code, channel;
