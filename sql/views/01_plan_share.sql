-- name: views/01_plan_share
-- defines: plan_shares(as_of TIMESTAMPTZ), plan_share(as_of TIMESTAMPTZ, sc VARCHAR)
-- columns:
--   scope       VARCHAR
--   plan_share  DOUBLE
--
-- plan_share(t) = C(m-1) + (C(m) - C(m-1)) x f (EVENTS.md), m the local month of t, C(0) = 0 and f
-- the elapsed fraction of that month in seconds, from the resolved curves in plan_curves (the
-- scope's curve for the year, written by the consumer from its targets file; else the default,
-- year and scope NULL). plan_shares(as_of) gives every scope at once: /metrics and the progress
-- macros use it; plan_share(as_of, scope) is the same for one scope.
CREATE OR REPLACE MACRO plan_shares(as_of) AS TABLE
WITH t AS (
    SELECT year(lt) AS y, month(lt) AS m,
           epoch(lt - date_trunc('month', lt)) / epoch(date_trunc('month', lt) + INTERVAL 1 MONTH - date_trunc('month', lt)) AS f
    FROM (SELECT local_time(as_of) AS lt)
), scopes AS (
    SELECT 'national' AS scope UNION ALL SELECT code FROM departments
), curves AS (
    SELECT s.scope, coalesce(own.month, fallback.month) AS month, coalesce(own.cumulative, fallback.cumulative) AS cumulative
    FROM scopes s CROSS JOIN t
    JOIN plan_curves fallback ON fallback.year IS NULL AND fallback.month IN (t.m - 1, t.m)
    LEFT JOIN plan_curves own ON own.year = t.y AND own.scope = s.scope AND own.month = fallback.month
)
SELECT c.scope,
       coalesce(max(c.cumulative) FILTER (c.month = t.m - 1), 0.0)
       + (max(c.cumulative) FILTER (c.month = t.m) - coalesce(max(c.cumulative) FILTER (c.month = t.m - 1), 0.0)) * any_value(t.f)
           AS plan_share
FROM curves c CROSS JOIN t
GROUP BY c.scope;
CREATE OR REPLACE MACRO plan_share(as_of, sc) AS (SELECT plan_share FROM plan_shares(as_of) WHERE scope = sc);
