-- name: metrics/release
-- params: none
-- columns:
--   channel          VARCHAR
--   le               INTEGER
--   cumulative       HUGEINT
--   releases         HUGEINT
--   release_seconds  DOUBLE
--
-- The release-time histogram per channel, nationally: cumulative counts at every bucket bound
-- (every bound is present, so each scrape has the same series), the count and the sum in seconds.
WITH per_bucket AS (
    SELECT channel, le, sum(releases) AS releases FROM agg_release GROUP BY ALL
), totals AS (
    SELECT channel, sum(releases) AS releases, sum(release_us) / 1e6 AS release_seconds FROM agg_release GROUP BY channel
), grid AS (
    SELECT t.channel, b.le FROM totals t CROSS JOIN (SELECT unnest(release_bucket_bounds()) AS le) b
)
SELECT g.channel, g.le, sum(coalesce(p.releases, 0)) OVER (PARTITION BY g.channel ORDER BY g.le) AS cumulative,
       t.releases, t.release_seconds
FROM grid g
JOIN totals t ON t.channel = g.channel
LEFT JOIN per_bucket p ON p.channel = g.channel AND p.le = g.le
ORDER BY g.channel, g.le
