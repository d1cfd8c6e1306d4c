-- name: metrics/rejects
-- params: none
-- columns:
--   topic    VARCHAR
--   reason   VARCHAR
--   rejects  BIGINT
--
-- Rejected records per topic and reason.
SELECT topic, reason, rejects FROM agg_rejects ORDER BY ALL
