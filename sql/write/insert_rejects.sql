-- Rejected messages with their raw bytes, reason and detail.
INSERT INTO rejects (source_topic, source_partition, source_offset, message_key, raw_value, reason, detail, event_id, rejected_at, batch_seq, changed_seq)
SELECT source_topic, source_partition, source_offset, message_key, raw_value, reason, detail, event_id,
       CAST($now AS TIMESTAMPTZ), CAST($batch_seq AS BIGINT), CAST($changed_seq AS BIGINT)
FROM new_rejects
