-- name: lake/takeover/append_revenue_days
-- params: floor BIGINT, lowest BIGINT
-- columns: none
--
-- This store's aggregate rows for the local days and departments the takeover's revenue rows fall on.
INSERT INTO lake.agg_revenue_day
WITH resets AS (  -- the store's batch of each partition's last new log (offsets count from there)
    SELECT topic, "partition", max(batch_seq) AS after_batch FROM main.offset_resets GROUP BY ALL
)
SELECT a.*
FROM main.agg_revenue_day a
SEMI JOIN (
    SELECT DISTINCT CAST(local_time(t.occurred_at) AS DATE) AS day, t.department_code
    FROM main.revenue t
    LEFT JOIN lake_offsets o ON o.topic = t.source_topic AND o."partition" = t.source_partition
    LEFT JOIN resets r ON r.topic = t.source_topic AND r."partition" = t.source_partition
    WHERE coalesce(t.batch_seq, 0) >= $lowest AND t.source_offset >= $floor
      AND t.source_offset >= coalesce(o.next_offset, 0) AND coalesce(t.batch_seq, 0) > coalesce(r.after_batch, -1)
) d ON a.day = d.day AND a.department_code = d.department_code
