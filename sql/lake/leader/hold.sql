-- name: lake/leader/hold
-- params: epoch BIGINT, replica VARCHAR
-- columns: none
--
-- In every publication of a replica pair, first: the leader's row, changed where the epoch is still
-- this replica's. No row changed: another replica took the lead since (the publication is fenced).
UPDATE lake.lake_leader SET publications = publications + 1
WHERE epoch = $epoch AND replica = $replica
