-- name: lake/takeover/append_conflicts
-- params: changed_seq BIGINT, floor BIGINT, lowest BIGINT, now TIMESTAMPTZ
-- columns: none
--
-- A new leader's first publication: the copies append_events.sql leaves out because the lake holds
-- another copy of their event with other content (the other replica took that one first) become
-- the lake's conflicting-duplicate rejects, as they would have been had one replica read both. This
-- store kept such a copy as a row, not its bytes: its raw_value is the row's contract fields
-- re-encoded as JSON, and the detail says so. Not copied to the DLQ (dlq_published false).
INSERT INTO lake.rejects BY NAME
WITH lake_offsets AS (  -- where the lake's rows of each partition end (its newest publication's offsets)
    SELECT o.topic, o."partition", o.next_offset
    FROM (SELECT offsets FROM lake.lake_publications ORDER BY coalesce(epoch, 0) DESC, batch_seq DESC LIMIT 1) p, unnest(p.offsets) AS u(o)
), resets AS (  -- the store's batch of each partition's last new log, and how many new logs it had
    SELECT topic, "partition", max(batch_seq) AS after_batch, CAST(count(*) AS INTEGER) AS log_seq FROM main.offset_resets GROUP BY ALL
), held AS (  -- the copy before the lake's offsets this store rejected as conflicting (the lake's row)
    SELECT j.source_topic AS topic, j.event_id,
           arg_min(j.source_partition, j.source_offset) AS held_partition, min(j.source_offset) AS held_offset
    FROM main.rejects j
    JOIN lake_offsets o ON o.topic = j.source_topic AND o."partition" = j.source_partition
    WHERE coalesce(j.batch_seq, 0) >= $lowest AND j.source_offset < o.next_offset
      AND j.reason = 'conflicting_duplicate' AND j.event_id IS NOT NULL
    GROUP BY ALL
), stored AS (
    SELECT source_topic, source_partition, source_offset, event_id, batch_seq,
           to_json(struct_pack(*COLUMNS(* EXCLUDE (source_topic, source_partition, source_offset, ingested_at, batch_seq)))) AS body
    FROM main.{{table}}
    WHERE coalesce(batch_seq, 0) >= $lowest AND source_offset >= $floor
)
SELECT t.source_topic, t.source_partition, t.source_offset, CAST(NULL AS BLOB) AS message_key, encode(CAST(t.body AS VARCHAR)) AS raw_value,
       'conflicting_duplicate' AS reason,
       format('event_id {} was accepted by the other replica from {}[{}]@{} with different content; this replica had stored this copy '
              || 'before it took over the lake, so raw_value is its stored fields re-encoded as JSON, not the bytes received',
              t.event_id, h.topic, h.held_partition, h.held_offset) AS detail,
       t.event_id, CAST($now AS TIMESTAMPTZ) AS rejected_at, false AS dlq_published, t.batch_seq, $changed_seq AS changed_seq,
       coalesce(r.log_seq, 0) AS log_seq
FROM stored t
JOIN held h ON h.topic = t.source_topic AND h.event_id = t.event_id
LEFT JOIN lake_offsets o ON o.topic = t.source_topic AND o."partition" = t.source_partition
LEFT JOIN resets r ON r.topic = t.source_topic AND r."partition" = t.source_partition
WHERE t.source_offset >= coalesce(o.next_offset, 0) AND coalesce(t.batch_seq, 0) > coalesce(r.after_batch, -1)
