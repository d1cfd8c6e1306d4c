-- name: lake/read/offsets
-- params: none
-- columns:
--   topic        VARCHAR
--   partition    INTEGER
--   next_offset  BIGINT
--   topic_id     VARCHAR
--   batch_seq    BIGINT
--
-- Where in Kafka the lake's rows end: the offsets its newest publication recorded (none before the
-- first, or for a lake last published before offsets were recorded).
SELECT o.topic, o."partition", o.next_offset, o.topic_id, p.batch_seq
FROM (SELECT batch_seq, offsets FROM lake.lake_publications ORDER BY coalesce(epoch, 0) DESC, batch_seq DESC LIMIT 1) p, unnest(p.offsets) AS u(o)
ORDER BY o.topic, o."partition"
