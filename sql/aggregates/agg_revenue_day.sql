-- name: aggregates/agg_revenue_day
-- params: none
-- columns:
--   day              DATE
--   department_code  VARCHAR
--   tax_type         VARCHAR
--   kind             VARCHAR
--   receipts         BIGINT
--   amount_vnd       HUGEINT
--
-- Receipts and amounts per local day, department, tax type and kind.
SELECT CAST(local_time(occurred_at) AS DATE) AS day, department_code, tax_type, kind,
       count(*) AS receipts, CAST(sum(amount_vnd) AS HUGEINT) AS amount_vnd
FROM {{revenue}}
GROUP BY ALL
