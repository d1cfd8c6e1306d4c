-- name: aggregates/merge/agg_rejects
-- params: none
-- columns: none
--
INSERT INTO agg_rejects BY NAME ({{contribution}})
ON CONFLICT DO UPDATE SET rejects = rejects + excluded.rejects
