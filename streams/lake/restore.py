"""A store rebuilt from the lake, for a replica whose disk is lost (`customs-kpi restore --from-lake`).

The lake holds the store's rows (events, rejects, reference tables) up to its newest publication,
and, with each publication, the Kafka offsets the store had committed with those rows. A new store
gets the rows and the offsets in one transaction, takes the mirrored store's id, last batch and
last reject change (so the lake goes on taking its publications as that store's), and builds its
aggregates and its index from the rows when it is first opened. The consumer then resumes reading
Kafka exactly where the lake's rows end: what came after is read again, nothing twice.

A replica of a pair (`replica`) is restored as a store of its own: a new id, its batches numbered
after every batch in the lake (both replicas numbered the lake's rows), so that when it is elected
its first publication is a takeover keyed to Kafka's offsets (streams/lake/takeover.py). A lake
that a pair published is restored only that way.

What the lake does not hold is not restored: the `duplicates` table (the duplicate count of
customs_kpi_records starts again from 0) and `offset_resets` (the record of logs accepted as new).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from streams.config import Lake
from streams.errors import ConfigError
from streams.lake.location import ALIAS, EVENT_TABLES, REFERENCE_TABLES, attach
from streams.store import apply_schema, one, open_store, relation, rows, run, transaction


@dataclass(frozen=True)
class _Newest:
    store_id: str | None
    batch_seq: int
    changed_seq: int
    offsets: int


@dataclass(frozen=True)
class _Numbering:
    batch_seq: int
    changed_seq: int
    stores: int


@dataclass(frozen=True)
class Restored:
    events: int  # event rows copied
    rejects: int
    partitions: int  # partitions whose offsets the store now holds
    batch_seq: int  # the mirrored store's last batch, now this store's
    store_id: str


def restore_from_lake(db: Path, lake: Lake, now: datetime, replica: str | None = None) -> Restored:
    """Build a new store at `db` (which must not exist) from the lake's newest publication; for a
    `replica` of a pair, as a store of its own (see above)."""
    if db.exists():
        raise ConfigError("db", str(db), "a path where no store exists yet (restore builds a new one; move the old one aside)")
    if not lake.exists():
        raise ConfigError("lake", lake.describe(), "an existing lake (the consumer creates it at its first publication)")
    db.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(db))
    try:
        con.execute("SET TimeZone = 'UTC'")
        apply_schema(con)
        attach(con, lake, read_only=True)
        newest = rows(con, "lake/restore/newest_publication", _Newest)
        if not newest or newest[0].store_id is None:
            raise ConfigError("lake", lake.describe(), "a lake with a publication of this release to restore from")
        if newest[0].offsets == 0:
            raise ConfigError(
                "lake", lake.describe(), "a lake whose newest publication recorded its Kafka offsets (let the consumer publish once more)"
            )
        events = rejects = 0
        with transaction(con):
            for table in (*EVENT_TABLES, "rejects", *REFERENCE_TABLES):
                copied = run(con, "lake/restore/copy_table", table=relation(table))
                events += copied if table in EVENT_TABLES else 0
                rejects += copied if table == "rejects" else 0
            partitions = run(con, "lake/restore/offsets", {"now": now})
            numbering = one(con, "lake/restore/numbering", _Numbering)
            if replica is None and numbering.stores > 1:
                raise ConfigError("replica", "none given", "the name of the replica restored: a replica pair published this lake")
            store_id, batch_seq, changed_seq = newest[0].store_id, newest[0].batch_seq, newest[0].changed_seq
            if replica is not None:
                store_id = str(uuid.uuid4())
                batch_seq, changed_seq = max(batch_seq, numbering.batch_seq), max(changed_seq, numbering.changed_seq)
            state = {"store_id": store_id, "batch_seq": batch_seq, "changed_seq": changed_seq}
            run(con, "lake/restore/store_state", state)
        con.execute(f"DETACH {ALIAS}")
    except BaseException:
        con.close()
        for leftover in (db, Path(f"{db}.wal")):
            leftover.unlink(missing_ok=True)
        raise
    con.close()
    open_store(db).close()  # the views, the aggregates and the index, built from the rows
    return Restored(events, rejects, partitions, batch_seq, store_id)
