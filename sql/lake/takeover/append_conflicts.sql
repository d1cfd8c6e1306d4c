-- name: lake/takeover/append_conflicts
-- params: changed_seq BIGINT, floor BIGINT, lowest BIGINT, now TIMESTAMPTZ
-- columns: none
--
-- A new leader's first publication: the copies this store kept (a row) or counted as duplicates of
-- it, of an event the lake holds with other content (takeover_outcomes: conflicting), become the
-- lake's conflicting-duplicate rejects, as they would have been had one replica read every copy.
-- This store has no bytes of them: raw_value is the kept row's contract fields re-encoded as JSON,
-- and the detail says so. Not copied to the DLQ (dlq_published false).
INSERT INTO lake.rejects BY NAME
WITH resets AS (  -- how many new logs each partition had: the log the positions are of
    SELECT topic, "partition", CAST(count(*) AS INTEGER) AS log_seq FROM main.offset_resets GROUP BY ALL
), stored AS (
    SELECT source_topic, event_id, batch_seq,
           to_json(struct_pack(*COLUMNS(* EXCLUDE (source_topic, source_partition, source_offset, ingested_at, batch_seq)))) AS body
    FROM main.{{table}}
    WHERE coalesce(batch_seq, 0) >= $lowest AND source_offset >= $floor
      AND event_id IN (SELECT event_id FROM takeover_outcomes WHERE outcome = 'conflicting')
)
SELECT x.topic AS source_topic, x.source_partition, x.source_offset, CAST(NULL AS BLOB) AS message_key,
       encode(CAST(s.body AS VARCHAR)) AS raw_value, 'conflicting_duplicate' AS reason,
       format('event_id {} is in the lake with different content, from a copy the other replica took first; this replica had '
              || 'stored this copy before it took over the lake, so raw_value is its stored fields re-encoded as JSON, not the bytes received',
              x.event_id) AS detail,
       x.event_id, CAST($now AS TIMESTAMPTZ) AS rejected_at, false AS dlq_published, s.batch_seq, $changed_seq AS changed_seq,
       coalesce(r.log_seq, 0) AS log_seq
FROM takeover_outcomes x
JOIN stored s ON s.source_topic = x.topic AND s.event_id = x.event_id
LEFT JOIN resets r ON r.topic = x.topic AND r."partition" = x.source_partition
WHERE x.outcome = 'conflicting'
