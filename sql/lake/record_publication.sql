-- name: lake/record_publication
-- params: batch_seq BIGINT, changed_seq BIGINT, events BIGINT, now TIMESTAMPTZ, rejects BIGINT
-- columns: none
--
-- The new watermark, in the same DuckLake transaction as the rows, with the store it came from.
INSERT INTO lake.lake_publications (batch_seq, changed_seq, published_at, events, rejects, store_id)
VALUES ($batch_seq, $changed_seq, CAST($now AS TIMESTAMPTZ), $events, $rejects, (SELECT store_id FROM main.store_state))
