-- The analysts' lake (streams/store/lake.py) publishes what changed since its last publication.
-- Rows are found by batch_seq; rejects also change after they are stored (the DLQ copy, a replay's
-- outcome), so every transaction that changes reject rows numbers its change: store_state.changed_seq
-- is the last such number and rejects.changed_seq the change that last touched the row.
ALTER TABLE store_state ADD COLUMN changed_seq BIGINT DEFAULT 0;
UPDATE store_state SET changed_seq = 0;
ALTER TABLE rejects ADD COLUMN changed_seq BIGINT;
