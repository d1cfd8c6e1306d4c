-- name: report/tax_types
-- params: as_of TIMESTAMPTZ
-- columns:
--   tax_type      VARCHAR
--   gross_vnd     BIGINT
--   refunded_vnd  BIGINT
--   net_vnd       BIGINT
--
-- Collections, refunds and net revenue by tax type from 1 January to $as_of, nationally.
SELECT tax_type,
       coalesce(CAST(sum(amount_vnd) FILTER (kind = 'collection') AS BIGINT), 0) AS gross_vnd,
       coalesce(CAST(sum(amount_vnd) FILTER (kind = 'refund') AS BIGINT), 0) AS refunded_vnd,
       CAST(sum(CASE kind WHEN 'refund' THEN -amount_vnd ELSE amount_vnd END) AS BIGINT) AS net_vnd
FROM revenue
WHERE occurred_at >= from_local_time(make_timestamp(year(local_time(CAST($as_of AS TIMESTAMPTZ))), 1, 1, 0, 0, 0))
  AND occurred_at <= CAST($as_of AS TIMESTAMPTZ)
GROUP BY tax_type
ORDER BY gross_vnd DESC, tax_type
