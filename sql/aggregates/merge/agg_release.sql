-- name: aggregates/merge/agg_release
-- params: none
-- columns: none
--
-- release_deltas: +1 for each release that now counts, -1 for one that no longer does (an earlier
-- registered or cleared event arrived late), with its department, channel and microseconds.
INSERT INTO agg_release BY NAME (
    SELECT department_code, channel, release_le(release_us) AS le, CAST(sum(sign) AS BIGINT) AS releases,
           CAST(sum(sign * release_us) AS HUGEINT) AS release_us
    FROM release_deltas
    GROUP BY ALL
)
ON CONFLICT DO UPDATE SET releases = releases + excluded.releases, release_us = release_us + excluded.release_us
