-- name: aggregates/merge/agg_declarations_total
-- params: none
-- columns: none
--
INSERT INTO agg_declarations_total BY NAME ({{contribution}})
ON CONFLICT DO UPDATE SET declarations = declarations + excluded.declarations
