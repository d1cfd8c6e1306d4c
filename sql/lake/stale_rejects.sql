-- name: lake/stale_rejects
-- params: after BIGINT, changes_after BIGINT, changes_upto BIGINT
-- columns:
--   stale   BIGINT
--   lowest  BIGINT
--
-- Reject rows already in the lake (their batch published before) and changed since the last
-- publication (the DLQ copy, a replay's outcome): how many, and the earliest batch among them
-- (NULL if one predates batch numbers), which bounds what of the lake's rejects is read again.
SELECT count(*) AS stale,
       CASE WHEN count(*) FILTER (batch_seq IS NULL) = 0 THEN min(batch_seq) END AS lowest
FROM main.rejects
WHERE changed_seq > $changes_after AND changed_seq <= $changes_upto AND coalesce(batch_seq, 0) <= $after
