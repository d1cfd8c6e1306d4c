-- name: lake/takeover/lowest
-- params: floor BIGINT
-- columns:
--   lowest  BIGINT
--
-- This store's first batch holding a record past the lake's offsets (NULL: none): the takeover
-- reads its rows, rejects and duplicates from there on only.
SELECT min(b) AS lowest FROM (
    SELECT min(coalesce(t.batch_seq, 0)) FROM main.declarations t
    LEFT JOIN lake_offsets o ON o.topic = t.source_topic AND o."partition" = t.source_partition
    WHERE t.source_offset >= $floor AND t.source_offset >= coalesce(o.next_offset, 0)
    UNION ALL
    SELECT min(coalesce(t.batch_seq, 0)) FROM main.revenue t
    LEFT JOIN lake_offsets o ON o.topic = t.source_topic AND o."partition" = t.source_partition
    WHERE t.source_offset >= $floor AND t.source_offset >= coalesce(o.next_offset, 0)
    UNION ALL
    SELECT min(coalesce(t.batch_seq, 0)) FROM main.seizures t
    LEFT JOIN lake_offsets o ON o.topic = t.source_topic AND o."partition" = t.source_partition
    WHERE t.source_offset >= $floor AND t.source_offset >= coalesce(o.next_offset, 0)
    UNION ALL
    SELECT min(coalesce(t.batch_seq, 0)) FROM main.rejects t
    LEFT JOIN lake_offsets o ON o.topic = t.source_topic AND o."partition" = t.source_partition
    WHERE t.source_offset >= $floor AND t.source_offset >= coalesce(o.next_offset, 0)
    UNION ALL
    SELECT min(coalesce(t.batch_seq, 0)) FROM main.duplicates t
    LEFT JOIN lake_offsets o ON o.topic = t.source_topic AND o."partition" = t.source_partition
    WHERE t.source_offset >= $floor AND t.source_offset >= coalesce(o.next_offset, 0)
) AS firsts(b)
