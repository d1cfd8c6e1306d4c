-- A partition's new log accepted by an operator (issue 11): the topic was recreated or the
-- broker's data lost while this database was kept, so the log ends before the offset stored
-- here. `customs-kpi offsets accept-new-log` records the decision and forgets the stored offset,
-- so the consumer reads that partition's new log from its start (event_ids already stored count
-- as duplicates, as always).
CREATE TABLE offset_resets (
    topic               VARCHAR NOT NULL,
    "partition"         INTEGER NOT NULL,
    stored_next_offset  BIGINT NOT NULL,   -- what this database held before the reset
    accepted_at         TIMESTAMPTZ NOT NULL,
    accepted_by         VARCHAR NOT NULL,  -- the operating-system user who ran the command
    note                VARCHAR            -- the operator's reason, if given
);
