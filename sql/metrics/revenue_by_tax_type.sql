-- name: metrics/revenue_by_tax_type
-- params: none
-- columns:
--   department_code  VARCHAR
--   tax_type         VARCHAR
--   kind             VARCHAR
--   amount_vnd       HUGEINT
--
-- Collections and refunds per department, tax type and kind, all time.
SELECT department_code, tax_type, kind, amount_vnd FROM agg_revenue_total ORDER BY ALL
