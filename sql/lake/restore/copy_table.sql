-- name: lake/restore/copy_table
-- params: none
-- columns: none
--
-- A lake table's rows into the new store's table of the same columns (the lake has the store's).
INSERT INTO main.{{table}} SELECT * FROM lake.{{table}}
