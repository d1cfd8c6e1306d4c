-- name: lake/restore/offsets
-- params: now TIMESTAMPTZ
-- columns: none
--
-- The new store's committed offsets: those the lake's newest publication recorded, so the consumer
-- resumes reading Kafka exactly where the lake's rows end.
INSERT INTO main.consumer_offsets (topic, "partition", next_offset, updated_at, topic_id)
SELECT o.topic, o."partition", o.next_offset, CAST($now AS TIMESTAMPTZ), o.topic_id
FROM (SELECT offsets FROM lake.lake_publications ORDER BY coalesce(epoch, 0) DESC, batch_seq DESC LIMIT 1) p, unnest(p.offsets) AS u(o)
