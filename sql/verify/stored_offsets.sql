-- Every partition's committed next offset and the topic id it belongs to (NULL where not known).
SELECT topic, "partition", next_offset, topic_id FROM consumer_offsets ORDER BY topic, "partition"
