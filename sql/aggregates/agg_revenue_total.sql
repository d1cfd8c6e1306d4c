-- name: aggregates/agg_revenue_total
-- params: none
-- columns:
--   department_code  VARCHAR
--   tax_type         VARCHAR
--   kind             VARCHAR
--   receipts         BIGINT
--   amount_vnd       HUGEINT
--
-- Receipts and amounts per department, tax type and kind, all time.
SELECT department_code, tax_type, kind, count(*) AS receipts, CAST(sum(amount_vnd) AS HUGEINT) AS amount_vnd
FROM {{revenue}}
GROUP BY ALL
