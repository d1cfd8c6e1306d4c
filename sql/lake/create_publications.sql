-- name: lake/create_publications
-- params: none
-- columns: none
--
-- One row per publication: the store's last batch and last reject change it holds (the watermark
-- the next publication starts from), when, what it wrote, which store it mirrors (store_state's
-- store_id: a store recreated or restored at the same path is another store, or an older one), and
-- where in Kafka its rows end: each partition's next offset as that store had committed it.
CREATE TABLE IF NOT EXISTS lake.lake_publications (
    batch_seq    BIGINT NOT NULL,
    changed_seq  BIGINT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    events       BIGINT NOT NULL,
    rejects      BIGINT NOT NULL,
    store_id     VARCHAR,
    offsets      STRUCT(topic VARCHAR, "partition" INTEGER, next_offset BIGINT, topic_id VARCHAR)[]
);
-- Lakes published before the store, or the offsets, were recorded.
ALTER TABLE lake.lake_publications ADD COLUMN IF NOT EXISTS store_id VARCHAR;
ALTER TABLE lake.lake_publications ADD COLUMN IF NOT EXISTS offsets STRUCT(topic VARCHAR, "partition" INTEGER, next_offset BIGINT, topic_id VARCHAR)[]
