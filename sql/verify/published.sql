-- The rows one publication appended ($after < batch_seq <= $upto) against the store's same rows:
-- per table, the count and the exact sum of its amount. Both sides filter on batch_seq, so DuckDB
-- (row groups) and DuckLake (Parquet files) read only the publication's part. One row per table
-- that differs.
WITH store AS (
    SELECT 'declarations' AS tbl, count(*) AS n, CAST(0 AS HUGEINT) AS amount
    FROM main.declarations WHERE batch_seq > $after AND batch_seq <= $upto
    UNION ALL
    SELECT 'revenue', count(*), coalesce(sum(CAST(amount_vnd AS HUGEINT)), 0)
    FROM main.revenue WHERE batch_seq > $after AND batch_seq <= $upto
    UNION ALL
    SELECT 'seizures', count(*), coalesce(sum(CAST(goods_value_vnd AS HUGEINT)), 0)
    FROM main.seizures WHERE batch_seq > $after AND batch_seq <= $upto
    UNION ALL
    SELECT 'rejects', count(*), 0
    FROM main.rejects WHERE batch_seq > $after AND batch_seq <= $upto
), lake AS (
    SELECT 'declarations' AS tbl, count(*) AS n, CAST(0 AS HUGEINT) AS amount
    FROM {{alias}}.declarations WHERE batch_seq > $after AND batch_seq <= $upto
    UNION ALL
    SELECT 'revenue', count(*), coalesce(sum(CAST(amount_vnd AS HUGEINT)), 0)
    FROM {{alias}}.revenue WHERE batch_seq > $after AND batch_seq <= $upto
    UNION ALL
    SELECT 'seizures', count(*), coalesce(sum(CAST(goods_value_vnd AS HUGEINT)), 0)
    FROM {{alias}}.seizures WHERE batch_seq > $after AND batch_seq <= $upto
    UNION ALL
    SELECT 'rejects', count(*), 0
    FROM {{alias}}.rejects WHERE batch_seq > $after AND batch_seq <= $upto
)
SELECT s.tbl, format('batches {} to {}: store {} rows, amount {}; lake {} rows, amount {}', $after + 1, $upto, s.n, s.amount, l.n, l.amount)
FROM store s
JOIN lake l USING (tbl)
WHERE s.n <> l.n OR s.amount <> l.amount
ORDER BY s.tbl
