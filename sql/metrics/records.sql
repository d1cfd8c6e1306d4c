-- name: metrics/records
-- params: none
-- columns:
--   topic    VARCHAR
--   outcome  VARCHAR
--   records  BIGINT
--
-- Consumed records per topic and outcome.
SELECT topic, outcome, records FROM agg_records ORDER BY ALL
