-- name: report/enforcement
-- params: as_of TIMESTAMPTZ, first DATE
-- columns:
--   category         VARCHAR
--   cases            BIGINT
--   goods_value_vnd  BIGINT
--   prosecuted       BIGINT
--
-- Seizures in the reporting period from $first (a local day) up to $as_of, by category, nationally.
SELECT category, count(*) AS cases, CAST(sum(goods_value_vnd) AS BIGINT) AS goods_value_vnd, count(*) FILTER (prosecuted) AS prosecuted
FROM seizures
WHERE occurred_at >= from_local_time(CAST($first AS TIMESTAMP)) AND occurred_at <= CAST($as_of AS TIMESTAMPTZ)
GROUP BY category
ORDER BY cases DESC, category
