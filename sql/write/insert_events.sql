-- name: write/insert_events
-- params: batch_seq BIGINT, now TIMESTAMPTZ
-- columns: none
--
-- Store a batch's new events (event_ids the index has never seen).
INSERT INTO {{table}} BY NAME
SELECT * EXCLUDE (message_key, raw_value), CAST($now AS TIMESTAMPTZ) AS ingested_at, CAST($batch_seq AS BIGINT) AS batch_seq
FROM new_events
