-- name: write/upsert_offsets
-- params: now TIMESTAMPTZ
-- columns: none
--
-- The next offset to read of every partition in the batch, and the id of the topic it belongs to
-- (NULL when the broker gave none: the stored id is kept).
INSERT INTO consumer_offsets (topic, "partition", next_offset, updated_at, topic_id)
SELECT topic, "partition", next_offset, CAST($now AS TIMESTAMPTZ), topic_id FROM incoming_offsets
ON CONFLICT (topic, "partition") DO UPDATE SET
    next_offset = excluded.next_offset,
    updated_at = excluded.updated_at,
    topic_id = coalesce(excluded.topic_id, consumer_offsets.topic_id)
