-- name: views/revenue_monthly
-- defines: revenue_monthly
-- columns:
--   year             BIGINT
--   month            BIGINT
--   department_code  VARCHAR
--   gross_vnd        BIGINT
--   refunded_vnd     BIGINT
--   net_vnd          BIGINT
--
-- Gross, refunded and net revenue per local month and department.
CREATE OR REPLACE VIEW revenue_monthly AS
SELECT year(local_time(occurred_at)) AS year, month(local_time(occurred_at)) AS month, department_code,
       coalesce(CAST(sum(amount_vnd) FILTER (kind = 'collection') AS BIGINT), 0) AS gross_vnd,
       coalesce(CAST(sum(amount_vnd) FILTER (kind = 'refund') AS BIGINT), 0) AS refunded_vnd,
       CAST(sum(CASE kind WHEN 'refund' THEN -amount_vnd ELSE amount_vnd END) AS BIGINT) AS net_vnd
FROM revenue
GROUP BY ALL
ORDER BY year, month, department_code;
