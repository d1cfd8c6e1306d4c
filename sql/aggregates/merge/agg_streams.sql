-- name: aggregates/merge/agg_streams
-- params: none
-- columns: none
--
INSERT INTO agg_streams BY NAME ({{contribution}})
ON CONFLICT DO UPDATE SET events = events + excluded.events, last_occurred_at = greatest(last_occurred_at, excluded.last_occurred_at)
