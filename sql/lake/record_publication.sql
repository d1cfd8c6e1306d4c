-- The new watermark, in the same DuckLake transaction as the rows.
INSERT INTO lake.lake_publications VALUES ($batch_seq, $changed_seq, CAST($now AS TIMESTAMPTZ), $events, $rejects)
