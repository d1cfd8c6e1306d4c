-- name: write/genuine_replays
-- params: none
-- columns:
--   source_topic        VARCHAR
--   source_partition    INTEGER
--   source_offset       BIGINT
--   original_topic      VARCHAR
--   original_partition  INTEGER
--   original_offset     BIGINT
--   original_log        INTEGER
--
-- The messages of a batch that replay a stored reject byte for byte (others are ordinary messages),
-- with the log of the reject they replay (a position may hold a reject in more than one log).
SELECT i.source_topic, i.source_partition, i.source_offset, i.original_topic, i.original_partition, i.original_offset,
       r.log_seq AS original_log
FROM incoming_replays i
JOIN rejects r ON r.source_topic = i.original_topic AND r.source_partition = i.original_partition AND r.source_offset = i.original_offset
WHERE r.raw_value IS NOT DISTINCT FROM i.raw_value
