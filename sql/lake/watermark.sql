-- name: lake/watermark
-- params: none
-- columns:
--   batch_seq    BIGINT
--   changed_seq  BIGINT
--
-- What the lake holds: the store's last batch and last reject change published (NULL: nothing yet).
SELECT max(batch_seq) AS batch_seq, max(changed_seq) AS changed_seq FROM lake.lake_publications
