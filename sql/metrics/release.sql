-- The release-time histogram per channel, nationally: cumulative counts at every bucket bound
-- (every bound is present, so each scrape has the same series), the count and the sum in seconds.
WITH channels AS (SELECT DISTINCT channel FROM agg_release),
bounds AS (SELECT unnest(release_bucket_bounds()) AS le),
per_bucket AS (SELECT channel, le, sum(releases) AS releases FROM agg_release GROUP BY ALL)
SELECT c.channel, b.le,
       sum(coalesce(p.releases, 0)) OVER (PARTITION BY c.channel ORDER BY b.le) AS cumulative,
       (SELECT sum(releases) FROM agg_release a WHERE a.channel = c.channel) AS releases,
       (SELECT sum(release_us) FROM agg_release a WHERE a.channel = c.channel) / 1e6 AS release_seconds
FROM channels c CROSS JOIN bounds b
LEFT JOIN per_bucket p ON p.channel = c.channel AND p.le = b.le
ORDER BY c.channel, b.le
