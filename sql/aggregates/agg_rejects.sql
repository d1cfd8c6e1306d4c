-- name: aggregates/agg_rejects
-- params: none
-- columns:
--   topic    VARCHAR
--   reason   VARCHAR
--   rejects  BIGINT
--
-- Rejected records per topic and reason.
SELECT source_topic AS topic, reason, count(*) AS rejects
FROM {{rejects}}
GROUP BY ALL
