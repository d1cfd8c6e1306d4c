-- name: write/stored_topic_ids
-- params: none
-- columns:
--   topic      VARCHAR
--   partition  INTEGER
--   topic_id   VARCHAR
--
-- The topic id each partition's stored offset belongs to, where one is known.
SELECT topic, "partition", topic_id FROM consumer_offsets WHERE topic_id IS NOT NULL
