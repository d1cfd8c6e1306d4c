-- name: write/index_events
-- params: after BIGINT
-- columns:
--   event_id          VARCHAR
--   source_partition  INTEGER
--   source_offset     BIGINT
--
-- The index entries of the events stored after batch $after (all of them for $after = -1; rows
-- from before batch numbers existed count as batch 0).
SELECT event_id, source_partition, source_offset FROM {{table}} WHERE coalesce(batch_seq, 0) > $after
