-- name: lake/leader/take
-- params: now TIMESTAMPTZ, replica VARCHAR, store_id VARCHAR
-- columns: none
--
-- A replica elected leader takes the next epoch. Any publication of the previous leader that is
-- still open fails at its commit (it changes this row too), and every later one finds no row of its
-- epoch (sql/lake/leader/hold.sql).
UPDATE lake.lake_leader
SET epoch = epoch + 1, replica = $replica, store_id = $store_id, since = CAST($now AS TIMESTAMPTZ), publications = 0
