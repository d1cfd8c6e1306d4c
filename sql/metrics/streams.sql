-- name: metrics/streams
-- params: none
-- columns:
--   department_code     VARCHAR
--   stream              VARCHAR
--   last_event_seconds  DOUBLE
--   events              BIGINT
--
-- Per department and stream: the latest occurred_at accepted (Unix seconds) and the accepted events.
SELECT department_code, stream, epoch(last_occurred_at) AS last_event_seconds, events FROM agg_streams ORDER BY ALL
