-- Forget where the consumer continues on one partition: it then reads it from the log's start.
DELETE FROM consumer_offsets WHERE topic = $topic AND "partition" = $partition
