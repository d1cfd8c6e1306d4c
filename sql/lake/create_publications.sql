-- name: lake/create_publications
-- params: none
-- columns: none
--
-- One row per publication: the store's last batch and last reject change it holds (the watermark
-- the next publication starts from), when, what it wrote, which store it mirrors (store_state's
-- store_id: a store recreated or restored at the same path is another store, or an older one), and
-- where in Kafka its rows end: each partition's next offset as that store had committed it; and, for
-- a replica pair, the leader's epoch (lake_leader) it was published under. The newest publication is
-- the last of the highest epoch: within an epoch one store publishes, its batches in order.
CREATE TABLE IF NOT EXISTS lake.lake_publications (
    batch_seq    BIGINT NOT NULL,
    changed_seq  BIGINT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    events       BIGINT NOT NULL,
    rejects      BIGINT NOT NULL,
    store_id     VARCHAR,
    offsets      STRUCT(topic VARCHAR, "partition" INTEGER, next_offset BIGINT, topic_id VARCHAR)[],
    epoch        BIGINT
);
-- Lakes published before the store, or the offsets, were recorded.
ALTER TABLE lake.lake_publications ADD COLUMN IF NOT EXISTS store_id VARCHAR;
ALTER TABLE lake.lake_publications ADD COLUMN IF NOT EXISTS offsets STRUCT(topic VARCHAR, "partition" INTEGER, next_offset BIGINT, topic_id VARCHAR)[];
ALTER TABLE lake.lake_publications ADD COLUMN IF NOT EXISTS epoch BIGINT;
-- The replica that publishes (one row): each leader takes the next epoch, and every publication
-- updates this row where the epoch is its own, in its own transaction. A publication of an older
-- leader then fails at its commit (DuckLake refuses a transaction that changed a row another writer
-- changed since it began) or finds no row of its epoch: it is fenced. Created with its row in one
-- statement, so that two replicas creating it at once conflict instead of leaving two rows.
CREATE TABLE IF NOT EXISTS lake.lake_leader AS
SELECT CAST(0 AS BIGINT) AS epoch, CAST('' AS VARCHAR) AS replica, CAST(NULL AS VARCHAR) AS store_id,
       CAST(NULL AS TIMESTAMPTZ) AS since, CAST(0 AS BIGINT) AS publications
