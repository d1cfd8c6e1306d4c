-- The next offset to read of every partition the database has seen: where the consumer continues.
SELECT topic, "partition", next_offset FROM consumer_offsets
