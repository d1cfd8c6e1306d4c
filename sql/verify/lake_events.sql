-- The lake's {{table}} against the store's rows up to the lake's watermark ($upto, its newest
-- publication's batch): per department and local day, the count and the exact sum of amounts (0 for
-- tables without one). One row per group that differs, saying how.
WITH store AS (
    SELECT department_code, CAST(local_time(occurred_at) AS DATE) AS day, count(*) AS n, {{amount}} AS amount
    FROM main.{{table}}
    WHERE batch_seq <= $upto OR batch_seq IS NULL
    GROUP BY ALL
), lake AS (
    SELECT department_code, CAST(local_time(occurred_at) AS DATE) AS day, count(*) AS n, {{amount}} AS amount
    FROM {{alias}}.{{table}}
    GROUP BY ALL
)
SELECT coalesce(s.department_code, l.department_code) AS department_code, coalesce(s.day, l.day) AS day,
       format('store {} rows, amount {}; lake {} rows, amount {}', coalesce(s.n, 0), coalesce(s.amount, 0), coalesce(l.n, 0), coalesce(l.amount, 0))
FROM store s
FULL OUTER JOIN lake l ON s.department_code = l.department_code AND s.day = l.day
WHERE coalesce(s.n, 0) <> coalesce(l.n, 0) OR coalesce(s.amount, 0) <> coalesce(l.amount, 0)
ORDER BY ALL
