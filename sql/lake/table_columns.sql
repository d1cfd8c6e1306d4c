-- name: lake/table_columns
-- params: database VARCHAR, table VARCHAR
-- columns:
--   column_name  VARCHAR
--   data_type    VARCHAR
--
-- A table's columns and their types, in order, in one attached database (the store's or the
-- lake's): a lake of another release has other columns, and publishing to it would fail midway.
SELECT column_name, data_type
FROM duckdb_columns()
WHERE database_name = $database AND schema_name = 'main' AND table_name = $table
ORDER BY column_index
