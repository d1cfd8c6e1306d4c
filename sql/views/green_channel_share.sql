-- name: views/green_channel_share
-- defines: green_channel_share
-- columns:
--   year             BIGINT
--   month            BIGINT
--   department_code  VARCHAR
--   declarations     BIGINT
--   green            BIGINT
--   yellow           BIGINT
--   red              BIGINT
--   green_share      DOUBLE
--   red_share        DOUBLE
--
-- Share of registered declarations sent to the green channel, per local month and department.
CREATE OR REPLACE VIEW green_channel_share AS
SELECT year(local_time(occurred_at)) AS year, month(local_time(occurred_at)) AS month, department_code,
       count(*) AS declarations,
       count(*) FILTER (channel = 'green') AS green, count(*) FILTER (channel = 'yellow') AS yellow, count(*) FILTER (channel = 'red') AS red,
       count(*) FILTER (channel = 'green') / count(*) AS green_share,
       count(*) FILTER (channel = 'red') / count(*) AS red_share
FROM declarations
WHERE status = 'registered'
GROUP BY ALL
ORDER BY year, month, department_code;
