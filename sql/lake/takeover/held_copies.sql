-- name: lake/takeover/held_copies
-- params: floor BIGINT, lowest BIGINT, resolved STRUCT(event_id VARCHAR, "partition" INTEGER, "offset" BIGINT)[]
-- columns:
--   topic             VARCHAR
--   event_id          VARCHAR
--   source_partition  INTEGER
--   source_offset     BIGINT
--   kind              VARCHAR
--   copy_class        VARCHAR
--   lake_class        VARCHAR
--
-- A new leader's takeover, for the events this store kept from a copy past the lake's offsets while
-- the lake holds them from a copy before (the other replica read that one first): every copy this
-- store has of them past the offsets (the row it kept, its duplicates, its conflicting copies), each
-- with its content class ('kept': the content of the row this store kept; otherwise the md5 of the
-- bytes received), and the class of the copy the lake holds. The copies before the offsets are this
-- store's duplicates and conflicting rejects, all taken after the row it kept (so from batch $lowest
-- on). When they have more than one class, the lake's copy is the one at the position given in
-- $resolved (read from the lake); NULL until it is given.
WITH resets AS (  -- the store's batch of each partition's last new log (offsets count from there)
    SELECT topic, "partition", max(batch_seq) AS after_batch FROM main.offset_resets GROUP BY ALL
), before AS (
    SELECT d.source_topic AS topic, d.event_id, d.source_partition, d.source_offset, 'kept' AS copy_class
    FROM main.duplicates d
    JOIN lake_offsets o ON o.topic = d.source_topic AND o."partition" = d.source_partition
    WHERE coalesce(d.batch_seq, 0) >= $lowest AND d.source_offset < o.next_offset
    UNION ALL
    SELECT j.source_topic, j.event_id, j.source_partition, j.source_offset, md5(j.raw_value)
    FROM main.rejects j
    JOIN lake_offsets o ON o.topic = j.source_topic AND o."partition" = j.source_partition
    WHERE coalesce(j.batch_seq, 0) >= $lowest AND j.source_offset < o.next_offset
      AND j.reason = 'conflicting_duplicate' AND j.event_id IS NOT NULL
), kept AS (
    SELECT t.source_topic AS topic, t.event_id, t.source_partition, t.source_offset
    FROM main.{{table}} t
    LEFT JOIN lake_offsets o ON o.topic = t.source_topic AND o."partition" = t.source_partition
    LEFT JOIN resets r ON r.topic = t.source_topic AND r."partition" = t.source_partition
    WHERE coalesce(t.batch_seq, 0) >= $lowest AND t.source_offset >= $floor
      AND t.source_offset >= coalesce(o.next_offset, 0) AND coalesce(t.batch_seq, 0) > coalesce(r.after_batch, -1)
), held AS (
    SELECT b.topic, b.event_id,
           CASE WHEN count(DISTINCT b.copy_class) = 1 THEN any_value(b.copy_class)
                ELSE any_value(b.copy_class) FILTER (EXISTS (SELECT 1 FROM unnest(CAST($resolved AS STRUCT(event_id VARCHAR, "partition" INTEGER, "offset" BIGINT)[])) AS u(r)
                                                             WHERE r.event_id = b.event_id AND r."partition" = b.source_partition
                                                               AND r."offset" = b.source_offset)) END AS lake_class
    FROM before b
    SEMI JOIN kept k ON k.topic = b.topic AND k.event_id = b.event_id
    GROUP BY ALL
), copies AS (
    SELECT topic, event_id, source_partition, source_offset, 'row' AS kind, 'kept' AS copy_class FROM kept
    UNION ALL
    SELECT d.source_topic, d.event_id, d.source_partition, d.source_offset, 'duplicate', 'kept'
    FROM main.duplicates d
    LEFT JOIN lake_offsets o ON o.topic = d.source_topic AND o."partition" = d.source_partition
    LEFT JOIN resets r ON r.topic = d.source_topic AND r."partition" = d.source_partition
    WHERE coalesce(d.batch_seq, 0) >= $lowest AND d.source_offset >= $floor
      AND d.source_offset >= coalesce(o.next_offset, 0) AND coalesce(d.batch_seq, 0) > coalesce(r.after_batch, -1)
    UNION ALL
    SELECT j.source_topic, j.event_id, j.source_partition, j.source_offset, 'conflict', md5(j.raw_value)
    FROM main.rejects j
    LEFT JOIN lake_offsets o ON o.topic = j.source_topic AND o."partition" = j.source_partition
    LEFT JOIN resets r ON r.topic = j.source_topic AND r."partition" = j.source_partition
    WHERE coalesce(j.batch_seq, 0) >= $lowest AND j.source_offset >= $floor
      AND j.source_offset >= coalesce(o.next_offset, 0) AND coalesce(j.batch_seq, 0) > coalesce(r.after_batch, -1)
      AND j.reason = 'conflicting_duplicate' AND j.event_id IS NOT NULL
)
SELECT c.topic, c.event_id, c.source_partition, c.source_offset, c.kind, c.copy_class, h.lake_class
FROM copies c
JOIN held h ON h.topic = c.topic AND h.event_id = c.event_id
ORDER BY ALL
