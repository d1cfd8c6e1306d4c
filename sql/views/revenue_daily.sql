-- name: views/revenue_daily
-- defines: revenue_daily
-- columns:
--   day              DATE
--   department_code  VARCHAR
--   gross_vnd        BIGINT
--   refunded_vnd     BIGINT
--   net_vnd          BIGINT
--   receipts         BIGINT
--
-- Gross, refunded and net revenue per local day and department.
CREATE OR REPLACE VIEW revenue_daily AS
SELECT CAST(local_time(occurred_at) AS DATE) AS day, department_code,
       CAST(sum(amount_vnd) FILTER (kind = 'collection') AS BIGINT) AS gross_vnd,
       coalesce(CAST(sum(amount_vnd) FILTER (kind = 'refund') AS BIGINT), 0) AS refunded_vnd,
       CAST(sum(CASE kind WHEN 'refund' THEN -amount_vnd ELSE amount_vnd END) AS BIGINT) AS net_vnd,
       count(*) AS receipts
FROM revenue
GROUP BY ALL
ORDER BY day, department_code;
