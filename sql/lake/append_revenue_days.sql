-- name: lake/append_revenue_days
-- params: after BIGINT, upto BIGINT
-- columns: none
--
-- The store's aggregate rows for the local days and departments the new revenue rows fall on.
INSERT INTO lake.agg_revenue_day
SELECT a.*
FROM main.agg_revenue_day a
SEMI JOIN (
    SELECT DISTINCT CAST(local_time(occurred_at) AS DATE) AS day, department_code
    FROM main.revenue
    WHERE batch_seq > $after AND batch_seq <= $upto
) t ON a.day = t.day AND a.department_code = t.department_code
