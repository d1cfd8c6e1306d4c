-- name: write/insert_rejects
-- params: batch_seq BIGINT, changed_seq BIGINT, now TIMESTAMPTZ
-- columns: none
--
-- Rejected messages with their raw bytes, reason and detail. log_seq: the partition's current log
-- (one more for each new log accepted in offset_resets).
INSERT INTO rejects (source_topic, source_partition, source_offset, message_key, raw_value, reason, detail, event_id, rejected_at, batch_seq, changed_seq, log_seq)
SELECT source_topic, source_partition, source_offset, message_key, raw_value, reason, detail, event_id,
       CAST($now AS TIMESTAMPTZ), CAST($batch_seq AS BIGINT), CAST($changed_seq AS BIGINT),
       CAST((SELECT count(*) FROM offset_resets o WHERE o.topic = n.source_topic AND o."partition" = n.source_partition) AS INTEGER)
FROM new_rejects n
