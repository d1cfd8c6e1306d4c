-- name: lake/store_watermark
-- params: none
-- columns:
--   batch_seq    BIGINT
--   changed_seq  BIGINT
--
-- What the store holds, read in the publication's own transaction (one snapshot of the store).
SELECT batch_seq, changed_seq FROM main.store_state
