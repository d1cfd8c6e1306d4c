-- plan_share(t) = C(m-1) + (C(m) - C(m-1)) x f (EVENTS.md), from the resolved curves in plan_curves.
CREATE OR REPLACE MACRO plan_curve_value(y, sc, m) AS (
    CASE WHEN m = 0 THEN 0.0 ELSE coalesce(
        (SELECT cumulative FROM plan_curves p WHERE p.year = y AND p.scope = sc AND p.month = m),
        (SELECT cumulative FROM plan_curves p WHERE p.year IS NULL AND p.month = m)
    ) END
);
CREATE OR REPLACE MACRO plan_share(as_of, sc) AS (
    plan_curve_value(year(local_time(as_of)), sc, month(local_time(as_of)) - 1)
    + (plan_curve_value(year(local_time(as_of)), sc, month(local_time(as_of)))
       - plan_curve_value(year(local_time(as_of)), sc, month(local_time(as_of)) - 1))
      * epoch(local_time(as_of) - date_trunc('month', local_time(as_of)))
      / epoch(date_trunc('month', local_time(as_of)) + INTERVAL 1 MONTH - date_trunc('month', local_time(as_of)))
);
