-- name: lake/takeover/bounds
-- params: none
-- columns:
--   floor   BIGINT
--
-- The lowest offset a row the lake lacks can have: the least of the lake's next offsets, 0 if this
-- store holds a partition the lake has no offset for. Every scan of the takeover filters on it, so
-- DuckDB skips the row groups of the history by their min/max of source_offset.
WITH lake_offsets AS (  -- where the lake's rows of each partition end (its newest publication's offsets)
    SELECT o.topic, o."partition", o.next_offset, o.topic_id
    FROM (SELECT offsets FROM lake.lake_publications ORDER BY coalesce(epoch, 0) DESC, batch_seq DESC LIMIT 1) p, unnest(p.offsets) AS u(o)
)
SELECT CASE WHEN EXISTS (SELECT 1 FROM main.consumer_offsets c ANTI JOIN lake_offsets o ON o.topic = c.topic AND o."partition" = c."partition")
            THEN 0 ELSE coalesce(min(next_offset), 0) END AS floor
FROM lake_offsets
