-- name: report/league
-- params: as_of TIMESTAMPTZ
-- columns:
--   department_code         VARCHAR
--   level                   VARCHAR
--   target_status           VARCHAR
--   ytd_vnd                 HUGEINT
--   target_vnd              BIGINT
--   plan_to_date_vnd        DOUBLE
--   pace_ratio              DOUBLE
--   projected_year_end_vnd  DOUBLE
--   projected_target_ratio  DOUBLE
--   receipts                BIGINT
--
-- Every department at $as_of (revenue_progress), each once, with its receipts this year: a
-- department without any is still listed, and the report says so. A department's row is at the
-- estimate level where it has one, otherwise at the level its only target has (2020: Hải Phòng
-- has only an assigned one), otherwise without a target (level NULL); `level` says which.
WITH receipts AS (
    SELECT department_code, count(*) AS receipts
    FROM revenue
    WHERE occurred_at >= from_local_time(make_timestamp(year(local_time(CAST($as_of AS TIMESTAMPTZ))), 1, 1, 0, 0, 0))
      AND occurred_at <= CAST($as_of AS TIMESTAMPTZ)
    GROUP BY ALL
),
one_level AS (
    SELECT *
    FROM revenue_progress(CAST($as_of AS TIMESTAMPTZ))
    QUALIFY row_number() OVER (
        PARTITION BY department_code
        ORDER BY CASE level WHEN 'estimate' THEN 0 WHEN 'assigned' THEN 1 WHEN 'striving' THEN 2 ELSE 3 END
    ) = 1
)
SELECT p.department_code, p.level, p.target_status, p.ytd_vnd, p.target_vnd, p.plan_to_date_vnd, p.pace_ratio,
       p.projected_year_end_vnd, p.projected_year_end_vnd / nullif(p.target_vnd, 0) AS projected_target_ratio,
       coalesce(r.receipts, 0) AS receipts
FROM one_level p
LEFT JOIN receipts r USING (department_code)
ORDER BY p.department_code
