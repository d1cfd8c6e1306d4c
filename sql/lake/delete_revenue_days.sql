-- name: lake/delete_revenue_days
-- params: after BIGINT, upto BIGINT
-- columns: none
--
-- The local days and departments the new revenue rows fall on: their aggregate rows are written again.
DELETE FROM lake.agg_revenue_day
USING (
    SELECT DISTINCT CAST(local_time(occurred_at) AS DATE) AS day, department_code
    FROM main.revenue
    WHERE batch_seq > $after AND batch_seq <= $upto
) t
WHERE agg_revenue_day.day = t.day AND agg_revenue_day.department_code = t.department_code
