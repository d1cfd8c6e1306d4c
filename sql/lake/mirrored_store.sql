-- name: lake/mirrored_store
-- params: none
-- columns:
--   mirrored     VARCHAR
--   store_id     VARCHAR
--   batch_seq    BIGINT
--   changed_seq  BIGINT
--
-- The store the lake's newest publication came from (NULL before the first one, or for a lake
-- published before stores were recorded), and this store's id and last batch: read once when the
-- publisher attaches, to refuse publishing another store, or an older copy of this one, into the lake.
SELECT (SELECT store_id FROM lake.lake_publications ORDER BY coalesce(epoch, 0) DESC, batch_seq DESC LIMIT 1) AS mirrored,
       s.store_id, s.batch_seq, s.changed_seq
FROM main.store_state s
