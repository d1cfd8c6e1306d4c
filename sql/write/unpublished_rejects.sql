-- name: write/unpublished_rejects
-- params: from_batch BIGINT, limit BIGINT
-- columns:
--   source_topic      VARCHAR
--   source_partition  INTEGER
--   source_offset     BIGINT
--   message_key       BLOB
--   raw_value         BLOB
--   reason            VARCHAR
--   detail            VARCHAR
--   event_id          VARCHAR
--   log_seq           INTEGER
--
-- Rejects not yet copied to the DLQ topic, oldest first; batch_seq skips row groups of earlier batches.
SELECT source_topic, source_partition, source_offset, message_key, raw_value, reason, detail, event_id, log_seq
FROM rejects
WHERE NOT dlq_published AND coalesce(batch_seq, 0) >= $from_batch
ORDER BY rejected_at, source_topic, source_partition, source_offset
LIMIT $limit
