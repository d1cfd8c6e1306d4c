-- name: lake/takeover/append_events
-- params: floor BIGINT, lowest BIGINT
-- columns: none
--
-- A new leader's first publication: this store's rows of the records past the lake's offsets (of the
-- partition's current log), except events the lake already holds from another copy before its
-- offsets (a duplicate or a conflicting one on another partition, which this replica read in the
-- other order). The lake holds every event once.
INSERT INTO lake.{{table}}
WITH resets AS (  -- the store's batch of each partition's last new log (offsets count from there)
    SELECT topic, "partition", max(batch_seq) AS after_batch FROM main.offset_resets GROUP BY ALL
), held AS (  -- event ids the lake holds from before its offsets, which this store stored later from another copy
    SELECT d.source_topic AS topic, d.event_id
    FROM main.duplicates d
    JOIN lake_offsets o ON o.topic = d.source_topic AND o."partition" = d.source_partition
    WHERE coalesce(d.batch_seq, 0) >= $lowest AND d.source_offset < o.next_offset
    UNION
    SELECT j.source_topic, j.event_id
    FROM main.rejects j
    JOIN lake_offsets o ON o.topic = j.source_topic AND o."partition" = j.source_partition
    WHERE coalesce(j.batch_seq, 0) >= $lowest AND j.source_offset < o.next_offset
      AND j.reason = 'conflicting_duplicate' AND j.event_id IS NOT NULL
)
SELECT t.* FROM main.{{table}} t
LEFT JOIN lake_offsets o ON o.topic = t.source_topic AND o."partition" = t.source_partition
LEFT JOIN resets r ON r.topic = t.source_topic AND r."partition" = t.source_partition
WHERE coalesce(t.batch_seq, 0) >= $lowest AND t.source_offset >= $floor
  AND t.source_offset >= coalesce(o.next_offset, 0) AND coalesce(t.batch_seq, 0) > coalesce(r.after_batch, -1)
  AND NOT EXISTS (SELECT 1 FROM held h WHERE h.topic = t.source_topic AND h.event_id = t.event_id)
