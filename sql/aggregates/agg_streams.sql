-- name: aggregates/agg_streams
-- params: none
-- columns:
--   department_code   VARCHAR
--   stream            VARCHAR
--   events            BIGINT
--   last_occurred_at  TIMESTAMP WITH TIME ZONE
--
-- Accepted events and the latest occurred_at per department and stream.
SELECT department_code, 'declarations' AS stream, count(*) AS events, max(occurred_at) AS last_occurred_at FROM {{declarations}} GROUP BY ALL
UNION ALL
SELECT department_code, 'revenue', count(*), max(occurred_at) FROM {{revenue}} GROUP BY ALL
UNION ALL
SELECT department_code, 'seizures', count(*), max(occurred_at) FROM {{seizures}} GROUP BY ALL
