-- name: views/seizures_by_period
-- defines: seizures_by_period
-- columns:
--   period_end            DATE
--   department_code       VARCHAR
--   category              VARCHAR
--   cases                 BIGINT
--   goods_value_vnd       BIGINT
--   budget_collected_vnd  BIGINT
--   prosecuted            BIGINT
--   transferred           BIGINT
--
-- Seizures per reporting period (16th of one month to 15th of the next, local time), department and
-- category. period_end is the 15th that closes the period; e.g. 16 Nov to 15 Dec 2021 is 2021-12-15.
CREATE OR REPLACE VIEW seizures_by_period AS
WITH s AS (
    SELECT *, CAST(local_time(occurred_at) AS DATE) AS day FROM seizures
)
SELECT CASE WHEN day(day) >= 16 THEN CAST(date_trunc('month', day) + INTERVAL 1 MONTH + INTERVAL 14 DAY AS DATE)
            ELSE CAST(date_trunc('month', day) + INTERVAL 14 DAY AS DATE) END AS period_end,
       department_code, category,
       count(*) AS cases, CAST(sum(goods_value_vnd) AS BIGINT) AS goods_value_vnd, CAST(sum(budget_collected_vnd) AS BIGINT) AS budget_collected_vnd,
       count(*) FILTER (prosecuted) AS prosecuted, count(*) FILTER (transferred) AS transferred
FROM s
GROUP BY ALL
ORDER BY period_end, department_code, category;
