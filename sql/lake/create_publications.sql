-- One row per publication: the store's last batch and last reject change it holds (the watermark
-- the next publication starts from), when, and what it wrote.
CREATE TABLE IF NOT EXISTS lake.lake_publications (
    batch_seq    BIGINT NOT NULL,
    changed_seq  BIGINT NOT NULL,
    published_at TIMESTAMPTZ NOT NULL,
    events       BIGINT NOT NULL,
    rejects      BIGINT NOT NULL
)
