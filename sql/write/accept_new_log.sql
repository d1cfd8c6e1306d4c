-- Accept a partition's new log (customs-kpi offsets accept-new-log): record the decision with the
-- offset the database held. write/forget_offset.sql then makes the consumer read the partition
-- from its start. Parameters: topic, partition, now, by, note.
INSERT INTO offset_resets
SELECT topic, "partition", next_offset, $now, $by, $note
FROM consumer_offsets
WHERE topic = $topic AND "partition" = $partition
