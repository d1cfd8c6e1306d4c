-- Gross, refunded and net revenue per local day and department.
CREATE OR REPLACE VIEW revenue_daily AS
SELECT CAST(local_time(occurred_at) AS DATE) AS day, department_code,
       sum(amount_vnd) FILTER (kind = 'collection') AS gross_vnd,
       coalesce(sum(amount_vnd) FILTER (kind = 'refund'), 0) AS refunded_vnd,
       sum(CASE kind WHEN 'refund' THEN -amount_vnd ELSE amount_vnd END) AS net_vnd,
       count(*) AS receipts
FROM revenue
GROUP BY ALL
ORDER BY day, department_code;
