-- name: metrics/period_cases
-- params: as_of TIMESTAMPTZ
-- columns:
--   department_code  VARCHAR
--   category         VARCHAR
--   cases            HUGEINT
--
-- Seizure cases per department and category in the reporting period (16th to 15th, local time)
-- that contains $as_of, up to $as_of: whole days from agg_seizures_day, $as_of's own day from rows.
WITH t AS (SELECT CAST($as_of AS TIMESTAMPTZ) AS as_of),
bounds AS (
    SELECT as_of, CAST(local_time(as_of) AS DATE) AS as_of_day,
           CASE WHEN day(local_time(as_of)) >= 16 THEN CAST(date_trunc('month', local_time(as_of)) + INTERVAL 15 DAY AS DATE)
                ELSE CAST(date_trunc('month', local_time(as_of)) - INTERVAL 1 MONTH + INTERVAL 15 DAY AS DATE) END AS period_start
    FROM t
), parts AS (
    SELECT a.department_code, a.category, a.cases
    FROM agg_seizures_day a, bounds b
    WHERE a.day >= b.period_start AND a.day < b.as_of_day
    UNION ALL
    SELECT s.department_code, s.category, 1
    FROM seizures s, bounds b
    WHERE s.occurred_at >= from_local_time(b.as_of_day) AND s.occurred_at <= b.as_of
)
SELECT department_code, category, sum(cases) AS cases FROM parts GROUP BY ALL ORDER BY ALL
