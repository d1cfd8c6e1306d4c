-- Reference data the views need: departments, targets and resolved plan curves.
-- The consumer replaces their contents on every start from its targets file (streams/store/reference.py).

CREATE TABLE departments (
    code    VARCHAR PRIMARY KEY,
    name_vi VARCHAR NOT NULL,
    name_en VARCHAR NOT NULL,
    region  VARCHAR NOT NULL
);

CREATE TABLE targets (
    year       INTEGER NOT NULL,
    scope      VARCHAR NOT NULL,  -- a department code or 'national'
    level      VARCHAR NOT NULL,  -- estimate, assigned or striving
    amount_vnd BIGINT NOT NULL,
    status     VARCHAR NOT NULL,  -- official or illustrative
    basis      VARCHAR NOT NULL,
    source     VARCHAR NOT NULL,
    PRIMARY KEY (year, scope, level)
);

-- C1..C12 per year and scope, already resolved (the scope's own curve, else the national one of
-- the year, else the default). Rows with year NULL and scope NULL hold the default curve.
CREATE TABLE plan_curves (
    year       INTEGER,
    scope      VARCHAR,
    month      INTEGER NOT NULL,
    cumulative DOUBLE NOT NULL
);
