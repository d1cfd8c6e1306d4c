-- name: report/declarations
-- params: as_of TIMESTAMPTZ
-- columns:
--   flow          VARCHAR
--   channel       VARCHAR
--   declarations  BIGINT
--
-- Declarations registered from 1 January to $as_of, by flow and inspection channel, nationally.
SELECT flow, channel, count(*) AS declarations
FROM declarations
WHERE status = 'registered'
  AND occurred_at >= from_local_time(make_timestamp(year(local_time(CAST($as_of AS TIMESTAMPTZ))), 1, 1, 0, 0, 0))
  AND occurred_at <= CAST($as_of AS TIMESTAMPTZ)
GROUP BY ALL
ORDER BY flow, channel
