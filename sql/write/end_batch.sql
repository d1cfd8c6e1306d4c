-- name: write/end_batch
-- params: batch_seq BIGINT, changed_seq BIGINT
-- columns: none
--
-- The batch's sequence number, committed with its rows: the index and later batches continue from it;
-- and the number of its change to reject rows (migration 006).
UPDATE store_state SET batch_seq = $batch_seq, changed_seq = $changed_seq
