-- name: verify/published
-- params: after BIGINT, upto BIGINT, version BIGINT
-- columns:
--   tbl     VARCHAR
--   detail  VARCHAR
--
-- The rows one publication appended ($after < batch_seq <= $upto) against the store's same rows:
-- per table, the count, the exact sum of its amount and (event tables) a fingerprint of every
-- column of every row. The store's side filters on batch_seq (DuckDB skips the other row groups);
-- the lake's reads what the publication's snapshot ($version) inserted, and nothing else. One row
-- per table that differs.
WITH store AS (
    SELECT 'declarations' AS tbl, count(*) AS n, CAST(0 AS HUGEINT) AS amount, sum(CAST(hash(t) AS HUGEINT)) AS content
    FROM main.declarations t WHERE batch_seq > $after AND batch_seq <= $upto
    UNION ALL
    SELECT 'revenue', count(*), coalesce(sum(CAST(amount_vnd AS HUGEINT)), 0), sum(CAST(hash(t) AS HUGEINT))
    FROM main.revenue t WHERE batch_seq > $after AND batch_seq <= $upto
    UNION ALL
    SELECT 'seizures', count(*), coalesce(sum(CAST(goods_value_vnd AS HUGEINT)), 0), sum(CAST(hash(t) AS HUGEINT))
    FROM main.seizures t WHERE batch_seq > $after AND batch_seq <= $upto
    UNION ALL
    SELECT 'rejects', count(*), 0, NULL  -- their DLQ and replay columns may change after the publication
    FROM main.rejects WHERE batch_seq > $after AND batch_seq <= $upto
), lake AS (
    SELECT 'declarations' AS tbl, count(*) AS n, CAST(0 AS HUGEINT) AS amount, sum(CAST(hash(t) AS HUGEINT)) AS content
    FROM ducklake_table_insertions('{{alias}}', 'main', 'declarations', $version, $version) t
    UNION ALL
    SELECT 'revenue', count(*), coalesce(sum(CAST(amount_vnd AS HUGEINT)), 0), sum(CAST(hash(t) AS HUGEINT))
    FROM ducklake_table_insertions('{{alias}}', 'main', 'revenue', $version, $version) t
    UNION ALL
    SELECT 'seizures', count(*), coalesce(sum(CAST(goods_value_vnd AS HUGEINT)), 0), sum(CAST(hash(t) AS HUGEINT))
    FROM ducklake_table_insertions('{{alias}}', 'main', 'seizures', $version, $version) t
    UNION ALL
    SELECT 'rejects', count(*), 0, NULL  -- their DLQ and replay columns may change after the publication
    FROM ducklake_table_insertions('{{alias}}', 'main', 'rejects', $version, $version) WHERE batch_seq > $after AND batch_seq <= $upto
)
SELECT s.tbl, format('batches {} to {}: store {} rows, amount {}; lake {} rows, amount {}{}', $after + 1, $upto, s.n, s.amount, l.n, l.amount,
                     CASE WHEN s.n = l.n AND s.amount = l.amount THEN '; the same count and amount, but values differ in other columns' ELSE '' END) AS detail
FROM store s
JOIN lake l USING (tbl)
WHERE s.n <> l.n OR s.amount <> l.amount OR s.content IS DISTINCT FROM l.content
ORDER BY s.tbl
