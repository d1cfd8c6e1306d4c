-- name: lake/expired_versions
-- params: now TIMESTAMPTZ
-- columns:
--   versions  BIGINT[]
--
-- The snapshots upkeep expires (time travel keeps the rest): every snapshot of the last day stays;
-- older than a day, the last snapshot of each hour for a week; older than a week, the last of each
-- Vietnam day (what was known at the end of that day, so "the morning of 1 July" reads 30 June's
-- close). The latest snapshot always stays. The catalog keeps about 17,000 + 168 + one a day.
WITH ranked AS (
    SELECT snapshot_id,
           snapshot_time >= CAST($now AS TIMESTAMPTZ) - INTERVAL 1 DAY AS recent,
           snapshot_time >= CAST($now AS TIMESTAMPTZ) - INTERVAL 7 DAY AS this_week,
           row_number() OVER (PARTITION BY date_trunc('hour', (timezone('UTC', snapshot_time) + INTERVAL 7 HOUR)) ORDER BY snapshot_id DESC) AS from_hour_end,
           row_number() OVER (PARTITION BY CAST((timezone('UTC', snapshot_time) + INTERVAL 7 HOUR) AS DATE) ORDER BY snapshot_id DESC) AS from_day_end,
           snapshot_id = max(snapshot_id) OVER () AS latest
    FROM lake.snapshots()
)
SELECT coalesce(list(snapshot_id ORDER BY snapshot_id), []) AS versions
FROM ranked
WHERE NOT (recent OR latest OR (this_week AND from_hour_end = 1) OR from_day_end = 1)
