-- name: metrics/event_clock
-- params: none
-- columns:
--   as_of  TIMESTAMP WITH TIME ZONE
--
-- The event clock: the latest occurred_at accepted on any stream (NULL before the first event).
SELECT max(last_occurred_at) AS as_of FROM agg_streams
