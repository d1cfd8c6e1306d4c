-- National net revenue per local day, this year and the year before, up to $as_of's day (revenue_daily).
SELECT day, CAST(sum(net_vnd) AS BIGINT) AS net_vnd
FROM revenue_daily
WHERE year(day) >= year(local_time(CAST($as_of AS TIMESTAMPTZ))) - 1
  AND day <= CAST(local_time(CAST($as_of AS TIMESTAMPTZ)) AS DATE)
GROUP BY day
ORDER BY day
