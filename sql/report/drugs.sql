-- name: report/drugs
-- params: as_of TIMESTAMPTZ, first DATE
-- columns:
--   drug_unit  VARCHAR
--   cases      BIGINT
--   quantity   DOUBLE
--
-- Drug seizures in the reporting period from $first (a local day) up to $as_of: cases and quantity by unit.
SELECT drug_unit, count(*) AS cases, sum(drug_quantity) AS quantity
FROM seizures
WHERE drug_unit IS NOT NULL
  AND occurred_at >= from_local_time(CAST($first AS TIMESTAMP)) AND occurred_at <= CAST($as_of AS TIMESTAMPTZ)
GROUP BY drug_unit
ORDER BY drug_unit
