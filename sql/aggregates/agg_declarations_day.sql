-- name: aggregates/agg_declarations_day
-- params: none
-- columns:
--   day              DATE
--   department_code  VARCHAR
--   flow             VARCHAR
--   channel          VARCHAR
--   status           VARCHAR
--   declarations     BIGINT
--
-- Declaration events per local day, department, flow, channel ('none' when absent) and status.
SELECT CAST(local_time(occurred_at) AS DATE) AS day, department_code, flow, coalesce(channel, 'none') AS channel, status,
       count(*) AS declarations
FROM {{declarations}}
GROUP BY ALL
