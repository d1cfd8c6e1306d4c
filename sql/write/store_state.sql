-- name: write/store_state
-- params: none
-- columns:
--   store_id     VARCHAR
--   batch_seq    BIGINT
--   changed_seq  BIGINT
--
-- This database's id (the index beside it must carry the same), the last batch committed and the last
-- change to reject rows.
SELECT store_id, batch_seq, changed_seq FROM store_state
