-- name: lake/restore/numbering
-- params: none
-- columns:
--   batch_seq    BIGINT
--   changed_seq  BIGINT
--   stores       BIGINT
--
-- After the copy: the highest batch and reject change among the new store's rows, and how many
-- stores published the lake. A replica pair's lake holds rows both replicas numbered, so the new
-- store numbers its own batches after all of them (and mirrors no store: its first publication
-- as leader is a takeover, keyed to Kafka's offsets).
SELECT greatest(
           (SELECT coalesce(max(batch_seq), 0) FROM main.declarations),
           (SELECT coalesce(max(batch_seq), 0) FROM main.revenue),
           (SELECT coalesce(max(batch_seq), 0) FROM main.seizures),
           (SELECT coalesce(max(batch_seq), 0) FROM main.rejects)) AS batch_seq,
       (SELECT coalesce(max(changed_seq), 0) FROM main.rejects) AS changed_seq,
       (SELECT count(DISTINCT store_id) FROM lake.lake_publications) AS stores
