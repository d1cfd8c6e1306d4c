-- name: aggregates/agg_declarations_total
-- params: none
-- columns:
--   department_code  VARCHAR
--   flow             VARCHAR
--   channel          VARCHAR
--   status           VARCHAR
--   declarations     BIGINT
--
-- Declaration events per department, flow, channel ('none' when absent) and status, all time.
SELECT department_code, flow, coalesce(channel, 'none') AS channel, status, count(*) AS declarations
FROM {{declarations}}
GROUP BY ALL
