-- name: lake/copy_table
-- params: none
-- columns: none
--
-- First publication of an aggregate, and a reference table that differs: the store's rows, whole.
INSERT INTO lake.{{table}} SELECT * FROM main.{{table}}
