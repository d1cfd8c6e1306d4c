-- name: lake/takeover/behind
-- params: none
-- columns:
--   topic        VARCHAR
--   partition    INTEGER
--   lake_offset  BIGINT
--   own_offset   BIGINT
--   other_log    BOOLEAN
--
-- The partitions where this store has not yet stored everything the lake holds (its next offset
-- short of the lake's), or holds another log of the partition than the lake's offsets are of (the
-- topic was recreated on one side only). A new leader takes over the lake only when there are none.
SELECT o.topic, o."partition", o.next_offset AS lake_offset, c.next_offset AS own_offset,
       coalesce(o.topic_id <> c.topic_id, false) AS other_log
FROM lake_offsets o
LEFT JOIN main.consumer_offsets c ON c.topic = o.topic AND c."partition" = o."partition"
WHERE c.next_offset IS NULL OR c.next_offset < o.next_offset OR coalesce(o.topic_id <> c.topic_id, false)
ORDER BY ALL
