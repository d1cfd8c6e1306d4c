-- name: write/insert_duplicates
-- params: batch_seq BIGINT, now TIMESTAMPTZ
-- columns: none
--
-- Exact re-deliveries of stored events: counted, not stored again. log_seq: the partition's current
-- log (one more for each new log accepted in offset_resets).
INSERT INTO duplicates (source_topic, source_partition, source_offset, event_id, seen_at, batch_seq, log_seq)
SELECT source_topic, source_partition, source_offset, event_id, CAST($now AS TIMESTAMPTZ), CAST($batch_seq AS BIGINT),
       CAST((SELECT count(*) FROM offset_resets o WHERE o.topic = n.source_topic AND o."partition" = n.source_partition) AS INTEGER)
FROM new_duplicates n
