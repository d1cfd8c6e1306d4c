-- name: report/rejects
-- params: as_of TIMESTAMPTZ
-- columns:
--   reason   VARCHAR
--   rejects  BIGINT
--
-- Rejected messages from 1 January to $as_of, by reason (the data's quality).
SELECT reason, count(*) AS rejects
FROM rejects
WHERE rejected_at >= from_local_time(make_timestamp(year(local_time(CAST($as_of AS TIMESTAMPTZ))), 1, 1, 0, 0, 0))
  AND rejected_at <= CAST($as_of AS TIMESTAMPTZ)
GROUP BY reason
ORDER BY rejects DESC, reason
