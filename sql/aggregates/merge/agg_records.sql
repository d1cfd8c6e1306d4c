-- name: aggregates/merge/agg_records
-- params: none
-- columns: none
--
INSERT INTO agg_records BY NAME ({{contribution}})
ON CONFLICT DO UPDATE SET records = records + excluded.records
