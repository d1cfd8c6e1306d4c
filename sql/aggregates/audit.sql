-- name: aggregates/audit
-- params: none
-- columns: like SELECT 'recomputed from the rows, not in {{table}}' AS problem, * FROM {{table}}
--
-- The rows in which {{table}} differs from the same aggregate recomputed from the stored events
-- ({{contribution}}): none when healthy. `problem` says on which side a row is.
WITH rebuilt AS ({{contribution}}),
stored AS (SELECT * FROM {{table}})
SELECT 'recomputed from the rows, not in {{table}}' AS problem, * FROM (FROM rebuilt EXCEPT ALL FROM stored)
UNION ALL
SELECT 'in {{table}}, not recomputed from the rows', * FROM (FROM stored EXCEPT ALL FROM rebuilt)
