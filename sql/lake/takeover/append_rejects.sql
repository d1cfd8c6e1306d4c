-- name: lake/takeover/append_rejects
-- params: floor BIGINT, lowest BIGINT
-- columns: none
--
-- A new leader's first publication: this store's rejects of the records past the lake's offsets, but
-- the conflicting copies that are the lake's own copy again (takeover_outcomes: dropped).
INSERT INTO lake.rejects
WITH resets AS (  -- the store's batch of each partition's last new log (offsets count from there)
    SELECT topic, "partition", max(batch_seq) AS after_batch FROM main.offset_resets GROUP BY ALL
)
SELECT t.* FROM main.rejects t
LEFT JOIN lake_offsets o ON o.topic = t.source_topic AND o."partition" = t.source_partition
LEFT JOIN resets r ON r.topic = t.source_topic AND r."partition" = t.source_partition
WHERE coalesce(t.batch_seq, 0) >= $lowest AND t.source_offset >= $floor
  AND t.source_offset >= coalesce(o.next_offset, 0) AND coalesce(t.batch_seq, 0) > coalesce(r.after_batch, -1)
  AND NOT EXISTS (SELECT 1 FROM takeover_outcomes x WHERE x.outcome = 'dropped' AND x.topic = t.source_topic
                  AND x.source_partition = t.source_partition AND x.source_offset = t.source_offset)
