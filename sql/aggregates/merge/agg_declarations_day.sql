INSERT INTO agg_declarations_day BY NAME ({{contribution}})
ON CONFLICT DO UPDATE SET declarations = declarations + excluded.declarations
