-- name: report/period
-- params: as_of TIMESTAMPTZ
-- columns:
--   first_day  DATE
--   last_day   DATE
--
-- The reporting period (16th to 15th, local time) that contains $as_of: its first and last day.
WITH d AS (SELECT CAST(local_time(CAST($as_of AS TIMESTAMPTZ)) AS DATE) AS day)
SELECT CASE WHEN day(day) >= 16 THEN CAST(date_trunc('month', day) + INTERVAL 15 DAY AS DATE)
            ELSE CAST(date_trunc('month', day) - INTERVAL 1 MONTH + INTERVAL 15 DAY AS DATE) END AS first_day,
       CASE WHEN day(day) >= 16 THEN CAST(date_trunc('month', day) + INTERVAL 1 MONTH + INTERVAL 14 DAY AS DATE)
            ELSE CAST(date_trunc('month', day) + INTERVAL 14 DAY AS DATE) END AS last_day
FROM d
