-- name: views/national_progress
-- defines: national_progress(as_of TIMESTAMPTZ)
-- columns:
--   level                   VARCHAR
--   target_status           VARCHAR
--   as_of                   TIMESTAMP WITH TIME ZONE
--   ytd_vnd                 HUGEINT
--   target_vnd              BIGINT
--   plan_share              DOUBLE
--   plan_to_date_vnd        DOUBLE
--   pace_ratio              DOUBLE
--   projected_year_end_vnd  DOUBLE
--
-- National revenue progress at as_of per target level: the national targets against the sum over
-- all departments, with the same formulas as revenue_progress. Without a national target for the
-- year there is one row with level NULL (ytd and projection only).
CREATE OR REPLACE MACRO national_progress(as_of) AS TABLE
WITH s AS (
    SELECT coalesce((SELECT sum(ytd_vnd) FROM revenue_ytd(as_of)), 0) AS ytd_vnd, p.plan_share
    FROM plan_shares(as_of) p
    WHERE p.scope = 'national'
)
SELECT t.level, t.status AS target_status, CAST(as_of AS TIMESTAMPTZ) AS as_of, CAST(s.ytd_vnd AS HUGEINT) AS ytd_vnd,
       t.amount_vnd AS target_vnd, s.plan_share,
       t.amount_vnd * s.plan_share AS plan_to_date_vnd,
       s.ytd_vnd / nullif(t.amount_vnd * s.plan_share, 0) AS pace_ratio,
       s.ytd_vnd / nullif(s.plan_share, 0) AS projected_year_end_vnd
FROM s
LEFT JOIN targets t ON t.scope = 'national' AND t.year = year(local_time(as_of))
ORDER BY t.level;
