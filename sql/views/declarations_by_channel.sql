-- name: views/declarations_by_channel
-- defines: declarations_by_channel
-- columns:
--   year               BIGINT
--   month              BIGINT
--   department_code    VARCHAR
--   flow               VARCHAR
--   type_code          VARCHAR
--   channel            VARCHAR
--   declarations       BIGINT
--   customs_value_usd  DOUBLE
--
-- Registered declarations per local month, department, flow, type code and inspection channel.
CREATE OR REPLACE VIEW declarations_by_channel AS
SELECT year(local_time(occurred_at)) AS year, month(local_time(occurred_at)) AS month, department_code, flow, type_code, channel,
       count(*) AS declarations, sum(customs_value_usd) AS customs_value_usd
FROM declarations
WHERE status = 'registered'
GROUP BY ALL
ORDER BY year, month, department_code, flow, type_code, channel;
