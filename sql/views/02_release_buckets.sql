-- name: views/02_release_buckets
-- defines: release_bucket_bounds(), release_le(release_us BIGINT)
-- columns: none
--
-- Release-time histogram buckets (WCO Time Release Study scale, 15 minutes to 8 days), in seconds,
-- and the bucket of a release time given in microseconds: the smallest bound at or above it, or
-- +Inf. customs_declaration_release_seconds on /metrics and agg_release use these, and only these.
CREATE OR REPLACE MACRO release_bucket_bounds() AS [900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 345600, 691200];
CREATE OR REPLACE MACRO release_le(release_us) AS
    coalesce(CAST(list_filter(release_bucket_bounds(), lambda b: release_us <= b * CAST(1000000 AS BIGINT))[1] AS DOUBLE), CAST('inf' AS DOUBLE));
