-- name: write/stored_offsets
-- params: none
-- columns:
--   topic        VARCHAR
--   partition    INTEGER
--   next_offset  BIGINT
--
-- The next offset to read of every partition the database has seen: where the consumer continues.
SELECT topic, "partition", next_offset FROM consumer_offsets
