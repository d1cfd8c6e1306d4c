-- name: write/change_rejects
-- params: changed_seq BIGINT
-- columns: none
--
-- A change to reject rows outside a batch (the DLQ copy acknowledged): its number, for the lake.
UPDATE store_state SET changed_seq = $changed_seq
