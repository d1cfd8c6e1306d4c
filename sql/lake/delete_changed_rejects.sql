-- name: lake/delete_changed_rejects
-- params: after BIGINT, changes_after BIGINT, changes_upto BIGINT, lowest BIGINT
-- columns: none
--
-- The stale reject rows (sql/lake/stale_rejects.sql) leave the lake, to be written again. Only the
-- lake's rejects at offsets from $lowest on are read: Parquet min/max skips the older files.
DELETE FROM lake.rejects
USING (
    SELECT source_topic, source_partition, source_offset, log_seq
    FROM main.rejects
    WHERE changed_seq > $changes_after AND changed_seq <= $changes_upto AND coalesce(batch_seq, 0) <= $after
) c
WHERE rejects.source_offset >= $lowest
  AND rejects.source_topic = c.source_topic AND rejects.source_partition = c.source_partition
  AND rejects.source_offset = c.source_offset AND rejects.log_seq = c.log_seq
