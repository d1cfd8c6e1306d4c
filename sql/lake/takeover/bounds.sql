-- name: lake/takeover/bounds
-- params: none
-- columns:
--   floor   BIGINT
--
-- The lowest offset a row the lake lacks can have: the least of the lake's next offsets, 0 if this
-- store holds a partition the lake has no offset for. Every scan of the takeover filters on it, so
-- DuckDB skips the row groups of the history by their min/max of source_offset.
SELECT CASE WHEN EXISTS (SELECT 1 FROM main.consumer_offsets c ANTI JOIN lake_offsets o ON o.topic = c.topic AND o."partition" = c."partition")
            THEN 0 ELSE coalesce(min(next_offset), 0) END AS floor
FROM lake_offsets
