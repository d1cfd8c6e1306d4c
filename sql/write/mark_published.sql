-- name: write/mark_published
-- params: changed_seq BIGINT, from_batch BIGINT
-- columns: none
--
-- Rejects the DLQ topic has acknowledged (by position and log: write/unpublished_rejects.sql).
UPDATE rejects SET dlq_published = true, changed_seq = $changed_seq
FROM published p
WHERE rejects.source_topic = p.source_topic AND rejects.source_partition = p.source_partition
  AND rejects.source_offset = p.source_offset AND rejects.log_seq = p.log_seq AND coalesce(rejects.batch_seq, 0) >= $from_batch
