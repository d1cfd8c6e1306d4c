-- name: aggregates/agg_release
-- params: none
-- columns:
--   department_code  VARCHAR
--   channel          VARCHAR
--   le               DOUBLE
--   releases         BIGINT
--   release_us       HUGEINT
--
-- Release times per department, channel and histogram bucket (not cumulative), recomputed from
-- the release_times view. The consumer keeps agg_release by deltas instead (merge/agg_release.sql).
SELECT department_code, channel, release_le(release_us) AS le, count(*) AS releases, CAST(sum(release_us) AS HUGEINT) AS release_us
FROM release_times
GROUP BY ALL
