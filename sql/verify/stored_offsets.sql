-- name: verify/stored_offsets
-- params: none
-- columns:
--   topic        VARCHAR
--   partition    INTEGER
--   next_offset  BIGINT
--   topic_id     VARCHAR
--
-- Every partition's committed next offset and the topic id it belongs to (NULL where not known).
SELECT topic, "partition", next_offset, topic_id FROM consumer_offsets ORDER BY topic, "partition"
