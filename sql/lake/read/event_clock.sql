-- name: lake/read/event_clock
-- params: none
-- columns:
--   as_of  TIMESTAMP WITH TIME ZONE
--
-- The latest event time in the lake, for a reader's default as_of (the store reads it from agg_streams).
SELECT max(t) AS as_of FROM (
    SELECT max(occurred_at) AS t FROM revenue
    UNION ALL SELECT max(occurred_at) FROM declarations
    UNION ALL SELECT max(occurred_at) FROM seizures
)
