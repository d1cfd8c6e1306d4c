-- name: report/release
-- params: as_of TIMESTAMPTZ
-- columns:
--   channel       VARCHAR
--   cleared       BIGINT
--   median_hours  DOUBLE
--   p90_hours     DOUBLE
--
-- Release time (cleared minus registered) by channel, of declarations cleared from 1 January to $as_of (release_times).
SELECT channel, count(*) AS cleared, quantile_cont(release_hours, 0.5) AS median_hours, quantile_cont(release_hours, 0.9) AS p90_hours
FROM release_times
WHERE cleared_at >= from_local_time(make_timestamp(year(local_time(CAST($as_of AS TIMESTAMPTZ))), 1, 1, 0, 0, 0))
  AND cleared_at <= CAST($as_of AS TIMESTAMPTZ)
GROUP BY channel
ORDER BY channel
