-- name: lake/watermark
-- params: none
-- columns:
--   batch_seq    BIGINT
--   changed_seq  BIGINT
--
-- What the lake holds: the newest publication's last batch and last reject change of the store it
-- mirrors (NULL: nothing yet).
SELECT max(batch_seq) AS batch_seq, max(changed_seq) AS changed_seq
FROM (SELECT batch_seq, changed_seq FROM lake.lake_publications ORDER BY coalesce(epoch, 0) DESC, batch_seq DESC LIMIT 1)
