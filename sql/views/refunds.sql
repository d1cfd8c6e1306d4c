-- name: views/refunds
-- defines: refunds
-- columns:
--   year             BIGINT
--   month            BIGINT
--   department_code  VARCHAR
--   tax_type         VARCHAR
--   refunds          BIGINT
--   refunded_vnd     BIGINT
--
-- Refunds per local month, department and tax type: how many and how much.
CREATE OR REPLACE VIEW refunds AS
SELECT year(local_time(occurred_at)) AS year, month(local_time(occurred_at)) AS month, department_code, tax_type,
       count(*) AS refunds, CAST(sum(amount_vnd) AS BIGINT) AS refunded_vnd
FROM revenue
WHERE kind = 'refund'
GROUP BY ALL
ORDER BY year, month, department_code, tax_type;
