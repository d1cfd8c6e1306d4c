-- name: report/daily
-- params: as_of TIMESTAMPTZ
-- columns:
--   day      DATE
--   net_vnd  BIGINT
--
-- National net revenue per local day, this year and the year before, up to $as_of's day: from
-- agg_revenue_day (the days of two years, whatever the history; equal to revenue_daily's sums).
SELECT day, CAST(sum(CASE kind WHEN 'refund' THEN -amount_vnd ELSE amount_vnd END) AS BIGINT) AS net_vnd
FROM agg_revenue_day
WHERE day >= make_date(year(local_time(CAST($as_of AS TIMESTAMPTZ))) - 1, 1, 1)
  AND day <= CAST(local_time(CAST($as_of AS TIMESTAMPTZ)) AS DATE)
GROUP BY day
ORDER BY day
