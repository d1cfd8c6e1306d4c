-- name: lake/restore/store_state
-- params: store_id VARCHAR, batch_seq BIGINT, changed_seq BIGINT
-- columns: none
--
-- The new store is the mirrored store as the lake holds it: the same id (so the lake takes its
-- publications as the same store's), its last batch and reject change, and its aggregates to be
-- built from the rows when it is opened.
UPDATE main.store_state SET store_id = $store_id, batch_seq = $batch_seq, changed_seq = $changed_seq, aggregates_built = false
