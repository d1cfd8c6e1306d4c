-- name: views/top_enterprises
-- defines: top_enterprises
-- columns:
--   year                 BIGINT
--   enterprise_tax_code  VARCHAR
--   gross_vnd            BIGINT
--   refunded_vnd         BIGINT
--   net_vnd              BIGINT
--   rank                 BIGINT
--
-- Enterprises by net revenue per local year, ranked (1 = largest).
CREATE OR REPLACE VIEW top_enterprises AS
WITH totals AS (
    SELECT year(local_time(occurred_at)) AS year, enterprise_tax_code,
           coalesce(CAST(sum(amount_vnd) FILTER (kind = 'collection') AS BIGINT), 0) AS gross_vnd,
           coalesce(CAST(sum(amount_vnd) FILTER (kind = 'refund') AS BIGINT), 0) AS refunded_vnd,
           CAST(sum(CASE kind WHEN 'refund' THEN -amount_vnd ELSE amount_vnd END) AS BIGINT) AS net_vnd
    FROM revenue
    GROUP BY ALL
)
SELECT *, rank() OVER (PARTITION BY year ORDER BY net_vnd DESC) AS rank
FROM totals
ORDER BY year, rank, enterprise_tax_code;
