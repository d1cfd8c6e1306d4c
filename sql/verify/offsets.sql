-- name: verify/offsets
-- params: none
-- columns:
--   topic      VARCHAR
--   partition  INTEGER
--   detail     VARCHAR
--
-- Each Kafka record the store took lies in exactly one of the event tables, duplicates and rejects,
-- and before its partition's committed next offset. Rows stored up to a partition's last accepted
-- new log (offset_resets.batch_seq) came from the old log, whose positions the new one numbers
-- again: only the rows after it are checked. One row per partition that breaks either rule.
WITH taken AS (
    SELECT source_topic, source_partition, source_offset, batch_seq FROM declarations
    UNION ALL SELECT source_topic, source_partition, source_offset, batch_seq FROM revenue
    UNION ALL SELECT source_topic, source_partition, source_offset, batch_seq FROM seizures
    UNION ALL SELECT source_topic, source_partition, source_offset, batch_seq FROM duplicates
    UNION ALL SELECT source_topic, source_partition, source_offset, batch_seq FROM rejects
), last_reset AS (
    SELECT topic, "partition", max(batch_seq) AS batch_seq FROM offset_resets GROUP BY ALL
), per_partition AS (
    SELECT t.source_topic AS topic, t.source_partition AS "partition", count(*) AS records,
           count(DISTINCT t.source_offset) AS positions, max(t.source_offset) AS highest
    FROM taken t
    LEFT JOIN last_reset r ON r.topic = t.source_topic AND r."partition" = t.source_partition
    WHERE r.batch_seq IS NULL OR coalesce(t.batch_seq, 0) > r.batch_seq
    GROUP BY ALL
)
SELECT p.topic, p."partition",
       concat_ws('; ',
           CASE WHEN p.records <> p.positions THEN format('{} records share {} positions', p.records, p.positions) END,
           CASE WHEN o.next_offset IS NULL THEN format('records up to offset {} but no committed offset', p.highest)
                WHEN p.highest >= o.next_offset THEN format('a record at offset {}, at or past the committed next offset {}', p.highest, o.next_offset)
           END) AS detail
FROM per_partition p
LEFT JOIN consumer_offsets o ON o.topic = p.topic AND o."partition" = p."partition"
WHERE p.records <> p.positions OR o.next_offset IS NULL OR p.highest >= o.next_offset
ORDER BY ALL
