-- The next offset to read of every partition in the batch.
INSERT INTO consumer_offsets SELECT topic, "partition", next_offset, CAST($now AS TIMESTAMPTZ) FROM incoming_offsets
ON CONFLICT (topic, "partition") DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at
