-- name: write/forget_offset
-- params: partition INTEGER, topic VARCHAR
-- columns: none
--
-- Forget where the consumer continues on one partition: it then reads it from the log's start.
DELETE FROM consumer_offsets WHERE topic = $topic AND "partition" = $partition
