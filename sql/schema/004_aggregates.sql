-- Costs that do not grow with history (issue 10).
--
-- 1. The event tables lose their PRIMARY KEY on event_id. DuckDB keeps a primary key's index
--    (ART) wholly in memory, about 72 bytes per stored event: with a 1 GB memory limit the writer
--    ran out of memory at about 14 million events. Uniqueness of event_id is now kept by the
--    writer's on-disk index (streams/store/state.py), exactly as before.
-- 2. Every row records the batch transaction that stored it (batch_seq), so the work of one
--    batch can be found again without scanning history (the index catches up from it).
-- 3. Aggregate tables, updated in the same transaction as the rows and offsets, hold everything
--    /metrics exposes. `customs-kpi aggregates verify` recomputes them from the rows
--    (sql/aggregates/rebuild/) and reports any difference.
-- DuckDB cannot drop a primary key in place, so each event table is copied once.

CREATE TABLE store_state (
    store_id          VARCHAR NOT NULL,  -- names this database; the index beside it must carry the same
    batch_seq         BIGINT NOT NULL,   -- the last batch transaction committed
    aggregates_built  BOOLEAN NOT NULL   -- false until the aggregates hold the rows stored before this migration
);
INSERT INTO store_state VALUES (CAST(uuid() AS VARCHAR), 0, false);

CREATE TABLE declarations_004 (
    event_id            VARCHAR NOT NULL,
    event_type          VARCHAR NOT NULL,
    schema_version      INTEGER NOT NULL,
    occurred_at         TIMESTAMPTZ NOT NULL,
    department_code     VARCHAR NOT NULL,
    office_code         VARCHAR,
    declaration_no      VARCHAR NOT NULL,
    status              VARCHAR NOT NULL,
    type_code           VARCHAR NOT NULL,
    flow                VARCHAR NOT NULL,
    channel             VARCHAR,
    enterprise_tax_code VARCHAR NOT NULL,
    hs_code             VARCHAR,
    customs_value_usd   DOUBLE NOT NULL,
    source_topic        VARCHAR NOT NULL,
    source_partition    INTEGER NOT NULL,
    source_offset       BIGINT NOT NULL,
    ingested_at         TIMESTAMPTZ NOT NULL,
    batch_seq           BIGINT           -- NULL for rows stored before this migration
);
INSERT INTO declarations_004 SELECT *, NULL FROM declarations;
DROP TABLE declarations;
ALTER TABLE declarations_004 RENAME TO declarations;

CREATE TABLE revenue_004 (
    event_id            VARCHAR NOT NULL,
    event_type          VARCHAR NOT NULL,
    schema_version      INTEGER NOT NULL,
    occurred_at         TIMESTAMPTZ NOT NULL,
    department_code     VARCHAR NOT NULL,
    office_code         VARCHAR,
    receipt_no          VARCHAR NOT NULL,
    kind                VARCHAR NOT NULL,
    tax_type            VARCHAR NOT NULL,
    amount_vnd          BIGINT NOT NULL,
    enterprise_tax_code VARCHAR NOT NULL,
    declaration_no      VARCHAR,
    source_topic        VARCHAR NOT NULL,
    source_partition    INTEGER NOT NULL,
    source_offset       BIGINT NOT NULL,
    ingested_at         TIMESTAMPTZ NOT NULL,
    batch_seq           BIGINT
);
INSERT INTO revenue_004 SELECT *, NULL FROM revenue;
DROP TABLE revenue;
ALTER TABLE revenue_004 RENAME TO revenue;

CREATE TABLE seizures_004 (
    event_id             VARCHAR NOT NULL,
    event_type           VARCHAR NOT NULL,
    schema_version       INTEGER NOT NULL,
    occurred_at          TIMESTAMPTZ NOT NULL,
    department_code      VARCHAR NOT NULL,
    office_code          VARCHAR,
    case_id              VARCHAR NOT NULL,
    category             VARCHAR NOT NULL,
    goods_value_vnd      BIGINT NOT NULL,
    budget_collected_vnd BIGINT NOT NULL,
    prosecuted           BOOLEAN NOT NULL,
    transferred          BOOLEAN NOT NULL,
    drug_quantity        DOUBLE,
    drug_unit            VARCHAR,
    route                VARCHAR,
    source_topic         VARCHAR NOT NULL,
    source_partition     INTEGER NOT NULL,
    source_offset        BIGINT NOT NULL,
    ingested_at          TIMESTAMPTZ NOT NULL,
    batch_seq            BIGINT
);
INSERT INTO seizures_004 SELECT *, NULL FROM seizures;
DROP TABLE seizures;
ALTER TABLE seizures_004 RENAME TO seizures;

ALTER TABLE rejects ADD COLUMN batch_seq BIGINT;
ALTER TABLE duplicates ADD COLUMN batch_seq BIGINT;

-- Money sums are HUGEINT: exact, and no overflow even for a hostile producer's largest amounts.
-- `day` is the local (Vietnam) date of occurred_at.
CREATE TABLE agg_revenue_day (
    day             DATE NOT NULL,
    department_code VARCHAR NOT NULL,
    tax_type        VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,
    receipts        BIGINT NOT NULL,
    amount_vnd      HUGEINT NOT NULL,
    PRIMARY KEY (day, department_code, tax_type, kind)
);

CREATE TABLE agg_revenue_total (
    department_code VARCHAR NOT NULL,
    tax_type        VARCHAR NOT NULL,
    kind            VARCHAR NOT NULL,
    receipts        BIGINT NOT NULL,
    amount_vnd      HUGEINT NOT NULL,
    PRIMARY KEY (department_code, tax_type, kind)
);

-- channel 'none' stands for a declaration event without a channel (a cancellation may omit it).
CREATE TABLE agg_declarations_day (
    day             DATE NOT NULL,
    department_code VARCHAR NOT NULL,
    flow            VARCHAR NOT NULL,
    channel         VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,
    declarations    BIGINT NOT NULL,
    PRIMARY KEY (day, department_code, flow, channel, status)
);

CREATE TABLE agg_declarations_total (
    department_code VARCHAR NOT NULL,
    flow            VARCHAR NOT NULL,
    channel         VARCHAR NOT NULL,
    status          VARCHAR NOT NULL,
    declarations    BIGINT NOT NULL,
    PRIMARY KEY (department_code, flow, channel, status)
);

CREATE TABLE agg_seizures_day (
    day                  DATE NOT NULL,
    department_code      VARCHAR NOT NULL,
    category             VARCHAR NOT NULL,
    cases                BIGINT NOT NULL,
    goods_value_vnd      HUGEINT NOT NULL,
    budget_collected_vnd HUGEINT NOT NULL,
    prosecuted           BIGINT NOT NULL,
    transferred          BIGINT NOT NULL,
    PRIMARY KEY (day, department_code, category)
);

CREATE TABLE agg_seizures_total (
    department_code      VARCHAR NOT NULL,
    category             VARCHAR NOT NULL,
    cases                BIGINT NOT NULL,
    goods_value_vnd      HUGEINT NOT NULL,
    budget_collected_vnd HUGEINT NOT NULL,
    prosecuted           BIGINT NOT NULL,
    transferred          BIGINT NOT NULL,
    PRIMARY KEY (department_code, category)
);

-- Release time of cleared declarations (sql/views/release_times.sql defines the pairing), per
-- department, channel and histogram bucket: `le` is the bucket's upper bound in seconds
-- (release_bucket_bounds() in sql/views/02_release_buckets.sql; +Inf for the last), the count of
-- releases in that bucket alone (not cumulative) and their total in microseconds.
CREATE TABLE agg_release (
    department_code VARCHAR NOT NULL,
    channel         VARCHAR NOT NULL,
    le              DOUBLE NOT NULL,
    releases        BIGINT NOT NULL,
    release_us      HUGEINT NOT NULL,
    PRIMARY KEY (department_code, channel, le)
);

-- Per department and stream: accepted events and the latest occurred_at.
CREATE TABLE agg_streams (
    department_code  VARCHAR NOT NULL,
    stream           VARCHAR NOT NULL,
    events           BIGINT NOT NULL,
    last_occurred_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (department_code, stream)
);

-- Consumed records by topic and outcome (accepted, duplicate, rejected).
CREATE TABLE agg_records (
    topic   VARCHAR NOT NULL,
    outcome VARCHAR NOT NULL,
    records BIGINT NOT NULL,
    PRIMARY KEY (topic, outcome)
);

CREATE TABLE agg_rejects (
    topic   VARCHAR NOT NULL,
    reason  VARCHAR NOT NULL,
    rejects BIGINT NOT NULL,
    PRIMARY KEY (topic, reason)
);
