-- name: lake/takeover/lake_copies
-- params: ids VARCHAR[]
-- columns:
--   event_id  VARCHAR
--   partition INTEGER
--   offset    BIGINT
--
-- Where the lake's rows of these events came from (their Kafka position): asked only for events
-- whose copies before the lake's offsets differ among themselves (lake/takeover/held_copies.sql),
-- rarely and for a few ids; the lake's event_id column is scanned.
SELECT event_id, source_partition AS "partition", source_offset AS "offset"
FROM lake.{{table}}
WHERE event_id IN (SELECT unnest($ids))
