-- name: write/accept_new_log
-- params: by VARCHAR, note VARCHAR, now TIMESTAMPTZ, partition INTEGER, topic VARCHAR
-- columns: none
--
-- Accept a partition's new log (customs-kpi offsets accept-new-log): record the decision with the
-- offset the database held and its last batch (the rows up to it came from the old log).
-- write/forget_offset.sql then makes the consumer read the partition from its start.
-- Parameters: topic, partition, now, by, note.
INSERT INTO offset_resets (topic, "partition", stored_next_offset, accepted_at, accepted_by, note, batch_seq)
SELECT topic, "partition", next_offset, $now, $by, $note, (SELECT batch_seq FROM store_state)
FROM consumer_offsets
WHERE topic = $topic AND "partition" = $partition
