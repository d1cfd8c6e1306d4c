-- Which log of its partition a reject or duplicate came from: 0 for the log the consumer first read,
-- then one more for each new log accepted (customs-kpi offsets accept-new-log, recorded in
-- offset_resets). A recreated topic numbers its positions from 0 again, so a position alone no
-- longer names one record: the new log's reject at offset 4606 met the old log's and the batch
-- failed on the primary key, on every start (issue 21). The key now holds the log.
-- DuckDB cannot change a primary key in place: both tables are copied once (they hold only the
-- rejected and re-delivered records). Rows stored before a recorded reset get that reset's log by
-- their batch (offset_resets.batch_seq, migration 008).
CREATE TABLE rejects_009 (
    source_topic     VARCHAR NOT NULL,
    source_partition INTEGER NOT NULL,
    source_offset    BIGINT NOT NULL,
    message_key      BLOB,
    raw_value        BLOB,
    reason           VARCHAR NOT NULL,
    detail           VARCHAR NOT NULL,
    event_id         VARCHAR,
    rejected_at      TIMESTAMPTZ NOT NULL,
    dlq_published    BOOLEAN NOT NULL DEFAULT false,
    replay_status    VARCHAR,
    replay_detail    VARCHAR,
    replayed_at      TIMESTAMPTZ,
    batch_seq        BIGINT,
    changed_seq      BIGINT,
    log_seq          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source_topic, source_partition, log_seq, source_offset)
);
INSERT INTO rejects_009
SELECT r.*, CAST((SELECT count(*) FROM offset_resets o
                  WHERE o.topic = r.source_topic AND o."partition" = r.source_partition AND o.batch_seq < coalesce(r.batch_seq, 0)) AS INTEGER)
FROM rejects r
ORDER BY coalesce(r.batch_seq, 0);
DROP TABLE rejects;
ALTER TABLE rejects_009 RENAME TO rejects;

CREATE TABLE duplicates_009 (
    source_topic     VARCHAR NOT NULL,
    source_partition INTEGER NOT NULL,
    source_offset    BIGINT NOT NULL,
    event_id         VARCHAR NOT NULL,
    seen_at          TIMESTAMPTZ NOT NULL,
    batch_seq        BIGINT,
    log_seq          INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (source_topic, source_partition, log_seq, source_offset)
);
INSERT INTO duplicates_009
SELECT d.*, CAST((SELECT count(*) FROM offset_resets o
                  WHERE o.topic = d.source_topic AND o."partition" = d.source_partition AND o.batch_seq < coalesce(d.batch_seq, 0)) AS INTEGER)
FROM duplicates d
ORDER BY coalesce(d.batch_seq, 0);
DROP TABLE duplicates;
ALTER TABLE duplicates_009 RENAME TO duplicates;
