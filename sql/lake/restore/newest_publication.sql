-- name: lake/restore/newest_publication
-- params: none
-- columns:
--   store_id     VARCHAR
--   batch_seq    BIGINT
--   changed_seq  BIGINT
--   offsets      INTEGER
--
-- The lake's newest publication: the store it mirrors, that store's last batch and reject change
-- in it, and how many partitions' offsets it recorded (0 for a lake last published by a release
-- that did not record them). No row: nothing was ever published.
SELECT store_id, batch_seq, changed_seq, CAST(len(coalesce(offsets, [])) AS INTEGER) AS offsets
FROM lake.lake_publications
ORDER BY coalesce(epoch, 0) DESC, batch_seq DESC
LIMIT 1
