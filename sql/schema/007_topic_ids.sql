-- Kafka gives every topic an id (KIP-516), new each time the topic is created. The id of the log an
-- offset belongs to is stored with it: a topic deleted and recreated under the same name is then a
-- different log even when it already reaches the stored offset, and the consumer stops the
-- partition instead of reading the new log from the old log's position (issue 21). NULL for
-- offsets stored before this migration or from a broker that gives no ids: adopted on the next batch.
ALTER TABLE consumer_offsets ADD COLUMN topic_id VARCHAR;
