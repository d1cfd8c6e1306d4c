-- name: lake/append_rejects
-- params: changes_after BIGINT, changes_upto BIGINT
-- columns: none
--
-- New and changed reject rows. changed_seq is plain in the filter so DuckDB's per-row-group min/max
-- skips the history (the first publication copies the whole table instead).
INSERT INTO lake.rejects
SELECT * FROM main.rejects
WHERE changed_seq > $changes_after AND changed_seq <= $changes_upto
