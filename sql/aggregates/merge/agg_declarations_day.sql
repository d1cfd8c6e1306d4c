-- name: aggregates/merge/agg_declarations_day
-- params: none
-- columns: none
--
INSERT INTO agg_declarations_day BY NAME ({{contribution}})
ON CONFLICT DO UPDATE SET declarations = declarations + excluded.declarations
