-- name: write/replay_outcomes
-- params: changed_seq BIGINT, now TIMESTAMPTZ
-- columns: none
--
-- Record each replay's outcome on its original reject. A later replay finding the event already
-- stored does not undo "accepted"; an unchanged outcome keeps its time, so replaying the same
-- rejects again changes nothing.
UPDATE rejects SET replay_status = o.status, replay_detail = o.detail, replayed_at = CAST($now AS TIMESTAMPTZ),
                   changed_seq = $changed_seq
FROM replay_outcomes o
WHERE rejects.source_topic = o.original_topic AND rejects.source_partition = o.original_partition
  AND rejects.source_offset = o.original_offset AND rejects.log_seq = o.original_log
  AND rejects.replay_status IS DISTINCT FROM o.status
  AND NOT (rejects.replay_status = 'accepted' AND o.status = 'duplicate')
