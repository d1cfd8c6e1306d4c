-- Reject rows changed since the last publication (the DLQ copy, a replay's outcome) are written again.
DELETE FROM lake.rejects
USING (
    SELECT source_topic, source_partition, source_offset
    FROM main.rejects
    WHERE coalesce(changed_seq, 0) > $changes_after AND coalesce(changed_seq, 0) <= $changes_upto
) c
WHERE rejects.source_topic = c.source_topic AND rejects.source_partition = c.source_partition
  AND rejects.source_offset = c.source_offset
