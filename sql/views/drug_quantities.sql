-- name: views/drug_quantities
-- defines: drug_quantities
-- columns:
--   period_end       DATE
--   department_code  VARCHAR
--   drug_unit        VARCHAR
--   cases            BIGINT
--   quantity         DOUBLE
--
-- Drug seizures per reporting period, department and unit. Quantities are never added across units.
CREATE OR REPLACE VIEW drug_quantities AS
WITH s AS (
    SELECT *, CAST(local_time(occurred_at) AS DATE) AS day FROM seizures WHERE drug_unit IS NOT NULL
)
SELECT CASE WHEN day(day) >= 16 THEN CAST(date_trunc('month', day) + INTERVAL 1 MONTH + INTERVAL 14 DAY AS DATE)
            ELSE CAST(date_trunc('month', day) + INTERVAL 14 DAY AS DATE) END AS period_end,
       department_code, drug_unit, count(*) AS cases, sum(drug_quantity) AS quantity
FROM s
GROUP BY ALL
ORDER BY period_end, department_code, drug_unit;
