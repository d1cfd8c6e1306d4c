-- name: queries/red_channel_share_month
-- params: as_of TIMESTAMPTZ
-- columns:
--   department_code          VARCHAR
--   declarations_this_month  BIGINT
--   red_share_this_month     DOUBLE
--   declarations_last_month  BIGINT
--   red_share_last_month     DOUBLE
--   change                   DOUBLE
--
-- How did the red-channel share move this month? Per department, the month of $as_of (up to
-- $as_of) against the whole previous month, local time.
WITH bounds AS (
    SELECT date_trunc('month', local_time(CAST($as_of AS TIMESTAMPTZ))) AS this_month,
           date_trunc('month', local_time(CAST($as_of AS TIMESTAMPTZ))) - INTERVAL 1 MONTH AS last_month
), d AS (
    SELECT department_code, channel, date_trunc('month', local_time(occurred_at)) AS month
    FROM declarations, bounds
    WHERE status = 'registered' AND occurred_at <= CAST($as_of AS TIMESTAMPTZ)
      AND local_time(occurred_at) >= bounds.last_month
)
SELECT department_code,
       count(*) FILTER (month = (SELECT this_month FROM bounds)) AS declarations_this_month,
       count(*) FILTER (month = (SELECT this_month FROM bounds) AND channel = 'red')
           / nullif(count(*) FILTER (month = (SELECT this_month FROM bounds)), 0) AS red_share_this_month,
       count(*) FILTER (month = (SELECT last_month FROM bounds)) AS declarations_last_month,
       count(*) FILTER (month = (SELECT last_month FROM bounds) AND channel = 'red')
           / nullif(count(*) FILTER (month = (SELECT last_month FROM bounds)), 0) AS red_share_last_month,
       red_share_this_month - red_share_last_month AS change
FROM d
GROUP BY department_code
ORDER BY change DESC NULLS LAST, department_code;
