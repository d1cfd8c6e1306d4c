-- The batch's sequence number, committed with its rows: the index and later batches continue from it.
UPDATE store_state SET batch_seq = $batch_seq
