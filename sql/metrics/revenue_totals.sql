-- name: metrics/revenue_totals
-- params: none
-- columns:
--   department_code  VARCHAR
--   collected_vnd    HUGEINT
--   refunded_vnd     HUGEINT
--
-- Gross collections and refunds per department, all time; 0 for a department without revenue.
SELECT d.code AS department_code,
       coalesce(sum(a.amount_vnd) FILTER (a.kind = 'collection'), 0) AS collected_vnd,
       coalesce(sum(a.amount_vnd) FILTER (a.kind = 'refund'), 0) AS refunded_vnd
FROM departments d
LEFT JOIN agg_revenue_total a ON a.department_code = d.code
GROUP BY d.code
ORDER BY d.code
