-- name: views/rejects_by_reason
-- defines: rejects_by_reason
-- columns:
--   day           DATE
--   source_topic  VARCHAR
--   reason        VARCHAR
--   rejects       BIGINT
--
-- Rejected messages per local day, topic and reason.
CREATE OR REPLACE VIEW rejects_by_reason AS
SELECT CAST(local_time(rejected_at) AS DATE) AS day, source_topic, reason, count(*) AS rejects
FROM rejects
GROUP BY ALL
ORDER BY day, source_topic, reason;
