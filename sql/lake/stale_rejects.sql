-- name: lake/stale_rejects
-- params: after BIGINT, changes_after BIGINT, changes_upto BIGINT
-- columns:
--   stale   BIGINT
--   lowest  BIGINT
--
-- Reject rows already in the lake (their batch published before) and changed since the last
-- publication (the DLQ copy, a replay's outcome): how many, and the lowest offset among them, which
-- bounds what of the lake's rejects is read again (by position, not batch: after a takeover the
-- lake's rows carry the batch numbers of the replica that published them).
SELECT count(*) AS stale, min(source_offset) AS lowest
FROM main.rejects
WHERE changed_seq > $changes_after AND changed_seq <= $changes_upto AND coalesce(batch_seq, 0) <= $after
