-- name: aggregates/agg_seizures_total
-- params: none
-- columns:
--   department_code       VARCHAR
--   category              VARCHAR
--   cases                 BIGINT
--   goods_value_vnd       HUGEINT
--   budget_collected_vnd  HUGEINT
--   prosecuted            BIGINT
--   transferred           BIGINT
--
-- Seizure cases per department and category, all time.
SELECT department_code, category,
       count(*) AS cases, CAST(sum(goods_value_vnd) AS HUGEINT) AS goods_value_vnd,
       CAST(sum(budget_collected_vnd) AS HUGEINT) AS budget_collected_vnd,
       count(*) FILTER (prosecuted) AS prosecuted, count(*) FILTER (transferred) AS transferred
FROM {{seizures}}
GROUP BY ALL
