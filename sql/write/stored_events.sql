-- name: write/stored_events
-- params: highest BIGINT, lowest BIGINT
-- columns: like SELECT * EXCLUDE (ingested_at, batch_seq) FROM {{table}}
--
-- The stored events whose event_id a batch brings again, found at the location the index gave
-- (`seen`). The source_offset bounds let DuckDB skip every row group written at other times.
SELECT e.* EXCLUDE (ingested_at, batch_seq)
FROM {{table}} e
SEMI JOIN seen s ON e.event_id = s.event_id AND e.source_partition = s.stored_partition AND e.source_offset = s.stored_offset
WHERE e.source_offset BETWEEN $lowest AND $highest
