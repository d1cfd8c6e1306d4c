-- Receipts and amounts per department, tax type and kind, all time.
SELECT department_code, tax_type, kind, count(*) AS receipts, CAST(sum(amount_vnd) AS HUGEINT) AS amount_vnd
FROM {{revenue}}
GROUP BY ALL
