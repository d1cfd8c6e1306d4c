-- name: aggregates/agg_seizures_day
-- params: none
-- columns:
--   day                   DATE
--   department_code       VARCHAR
--   category              VARCHAR
--   cases                 BIGINT
--   goods_value_vnd       HUGEINT
--   budget_collected_vnd  HUGEINT
--   prosecuted            BIGINT
--   transferred           BIGINT
--
-- Seizure cases per local day, department and category.
SELECT CAST(local_time(occurred_at) AS DATE) AS day, department_code, category,
       count(*) AS cases, CAST(sum(goods_value_vnd) AS HUGEINT) AS goods_value_vnd,
       CAST(sum(budget_collected_vnd) AS HUGEINT) AS budget_collected_vnd,
       count(*) FILTER (prosecuted) AS prosecuted, count(*) FILTER (transferred) AS transferred
FROM {{seizures}}
GROUP BY ALL
