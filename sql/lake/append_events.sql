-- name: lake/append_events
-- params: after BIGINT, upto BIGINT
-- columns: none
--
-- The rows of the batches after the watermark. Rows are stored in batch order, so the filter on
-- batch_seq skips every row group of the history by its min/max.
INSERT INTO lake.{{table}}
SELECT * FROM main.{{table}}
WHERE batch_seq > $after AND batch_seq <= $upto
