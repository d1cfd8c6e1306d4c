-- The store's last batch when a partition's new log was accepted (customs-kpi offsets
-- accept-new-log): rows of that partition stored up to it came from the old log, whose positions
-- the new log numbers again. `customs-kpi verify` checks positions against the committed offset only
-- for the rows after it. Decisions recorded before this migration get the store's last batch now:
-- their partitions' earlier rows are left out of that check.
ALTER TABLE offset_resets ADD COLUMN batch_seq BIGINT;
UPDATE offset_resets SET batch_seq = (SELECT batch_seq FROM store_state);
