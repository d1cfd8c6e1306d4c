-- Exact re-deliveries of stored events: counted, not stored again.
INSERT INTO duplicates (source_topic, source_partition, source_offset, event_id, seen_at, batch_seq)
SELECT source_topic, source_partition, source_offset, event_id, CAST($now AS TIMESTAMPTZ), CAST($batch_seq AS BIGINT)
FROM new_duplicates
