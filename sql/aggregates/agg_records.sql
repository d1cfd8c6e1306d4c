-- name: aggregates/agg_records
-- params: none
-- columns:
--   topic    VARCHAR
--   outcome  VARCHAR
--   records  BIGINT
--
-- Consumed records per topic and outcome: accepted (stored events), duplicate, rejected.
SELECT source_topic AS topic, 'accepted' AS outcome, count(*) AS records FROM {{declarations}} GROUP BY ALL
UNION ALL
SELECT source_topic, 'accepted', count(*) FROM {{revenue}} GROUP BY ALL
UNION ALL
SELECT source_topic, 'accepted', count(*) FROM {{seizures}} GROUP BY ALL
UNION ALL
SELECT source_topic, 'duplicate', count(*) FROM {{duplicates}} GROUP BY ALL
UNION ALL
SELECT source_topic, 'rejected', count(*) FROM {{rejects}} GROUP BY ALL
