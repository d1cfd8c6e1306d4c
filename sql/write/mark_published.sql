-- Rejects the DLQ topic has acknowledged.
UPDATE rejects SET dlq_published = true, changed_seq = $changed_seq
FROM published p
WHERE rejects.source_topic = p.source_topic AND rejects.source_partition = p.source_partition
  AND rejects.source_offset = p.source_offset AND coalesce(rejects.batch_seq, 0) >= $from_batch
