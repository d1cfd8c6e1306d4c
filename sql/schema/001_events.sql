-- Events, rejects and consumed offsets. Applied once by version (see streams/store/schema.py).
-- Timestamps are TIMESTAMPTZ (instants); local Vietnam dates come from AT TIME ZONE 'Asia/Ho_Chi_Minh'.

CREATE TABLE declarations (
    event_id            VARCHAR PRIMARY KEY,
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
    ingested_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE revenue (
    event_id            VARCHAR PRIMARY KEY,
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
    ingested_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE seizures (
    event_id             VARCHAR PRIMARY KEY,
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
    ingested_at          TIMESTAMPTZ NOT NULL
);

-- Every rejected message, with its raw bytes, so nothing is lost.
CREATE TABLE rejects (
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
    PRIMARY KEY (source_topic, source_partition, source_offset)
);

-- Exact re-deliveries of an accepted event (same event_id and content): counted, not stored twice.
CREATE TABLE duplicates (
    source_topic     VARCHAR NOT NULL,
    source_partition INTEGER NOT NULL,
    source_offset    BIGINT NOT NULL,
    event_id         VARCHAR NOT NULL,
    seen_at          TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source_topic, source_partition, source_offset)
);

-- The next offset to read per partition, written in the same transaction as the rows.
CREATE TABLE consumer_offsets (
    topic       VARCHAR NOT NULL,
    "partition" INTEGER NOT NULL,
    next_offset BIGINT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (topic, "partition")
);
