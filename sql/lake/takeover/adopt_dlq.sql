-- name: lake/takeover/adopt_dlq
-- params: none
-- columns: none
--
-- Before a new leader copies rejects to the DLQ: those of records before the lake's offsets were the
-- previous leader's to copy. They count as copied, except those the lake holds as not yet copied
-- (the previous leader stopped before it copied them): this leader copies those. Rejects past the
-- offsets are this leader's. The store's own rows change; the lake is only read.
UPDATE main.rejects SET dlq_published = true
FROM (
    WITH resets AS (  -- the store's batch of each partition's last new log (offsets count from there)
        SELECT topic, "partition", max(batch_seq) AS after_batch FROM main.offset_resets GROUP BY ALL
    ), pending AS (
        SELECT source_topic, source_partition, source_offset FROM lake.rejects WHERE NOT dlq_published
    )
    SELECT j.source_topic, j.source_partition, j.source_offset, j.log_seq
    FROM main.rejects j
    JOIN lake_offsets o ON o.topic = j.source_topic AND o."partition" = j.source_partition
    LEFT JOIN resets r ON r.topic = j.source_topic AND r."partition" = j.source_partition
    WHERE NOT j.dlq_published AND j.source_offset < o.next_offset AND coalesce(j.batch_seq, 0) > coalesce(r.after_batch, -1)
      AND NOT EXISTS (SELECT 1 FROM pending p WHERE p.source_topic = j.source_topic
                      AND p.source_partition = j.source_partition AND p.source_offset = j.source_offset)
) a
WHERE rejects.source_topic = a.source_topic AND rejects.source_partition = a.source_partition
  AND rejects.source_offset = a.source_offset AND rejects.log_seq = a.log_seq
