INSERT INTO agg_rejects BY NAME ({{contribution}})
ON CONFLICT DO UPDATE SET rejects = rejects + excluded.rejects
