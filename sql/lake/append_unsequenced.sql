-- name: lake/append_unsequenced
-- params: none
-- columns: none
--
-- First publication only: rows stored before batches were numbered (migration 004).
INSERT INTO lake.{{table}}
SELECT * FROM main.{{table}}
WHERE batch_seq IS NULL
