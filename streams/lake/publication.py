"""The analysts' lake: a DuckLake the consumer publishes to, read by everyone else.

DuckDB lets no other process open a database file a writer holds. The consumer's DuckDB file stays
its store of record (keys, offsets, aggregates); after its batch transactions it appends what is
new to a DuckLake (Parquet files plus a catalog database, SQLite by default, PostgreSQL for readers
on other machines), which any number of readers in other processes and on other machines attach
read-only, with snapshot isolation and time travel.

Exactly once: one publication is one DuckLake transaction that appends the rows of the batches
after the lake's watermark up to the store's last batch, re-writes the reject rows changed since the
last publication and the revenue aggregate of the days it touched, and records the new watermark
in `lake_publications`. The rows and the watermark come from one read transaction of the store,
so a crash before the lake's commit leaves the lake as it was, and the next publication starts
from the watermark the lake holds.

Its work is proportional to what is new: rows are found by `batch_seq` (stored in batch order,
so DuckDB's per-row-group min/max skips the history) and the changed rejects by `changed_seq`.

A replica pair (docs/RELIABILITY.md): each replica has a store of its own, and the one elected
leader publishes. A leader takes the next epoch in `lake_leader` (take_lead) and every publication
of its holds that row (a fence: an older leader's publication fails). Its first publication, when
the lake mirrors the other replica's store, is a takeover (takeover.py); the consumer's side of all
this is writer.py.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

import duckdb

from streams.config import Lake
from streams.errors import ConfigError, LakeFencedError, LakeMismatchError
from streams.lake.location import ALIAS, EVENT_TABLES, LAKE_TABLES, REFERENCE_TABLES
from streams.store import one, relation, rows, run, scalar, store_state, transaction


@dataclass(frozen=True)
class Publication:
    batch_seq: int  # the store's last batch now in the lake
    changed_seq: int  # the last reject change now in the lake
    events: int  # event rows appended
    rejects: int  # reject rows written (new or changed)
    version: int  # the lake's snapshot holding it
    after: int  # the store's last batch the lake held before it (-1 for a first publication or a takeover)
    takeover: bool = False  # a new leader's first publication, keyed to Kafka's offsets


@dataclass(frozen=True)
class Lead:
    """A replica's lead of the lake: the epoch it took (take_lead)."""

    replica: str
    epoch: int


@dataclass(frozen=True)
class Leader:
    epoch: int
    replica: str
    store_id: str | None
    since: datetime | None
    publications: int


def ensure_lake_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the lake's tables with the store's columns, and its watermark table; fail clearly if a
    lake table's columns differ from the store's (a lake of another release)."""
    with transaction(con):
        run(con, "lake/create_publications")
        for table in LAKE_TABLES:
            name = relation(table)
            con.execute(f"CREATE TABLE IF NOT EXISTS {ALIAS}.{name} AS SELECT * FROM main.{name} LIMIT 0")
    store = str(scalar(con, "SELECT current_database()"))
    for table in LAKE_TABLES:
        store_columns = _columns(con, store, table)
        lake_columns = _columns(con, ALIAS, table)
        if table == "rejects" and lake_columns == store_columns[:-1] and store_columns[-1] == ("log_seq", "INTEGER"):
            # A lake published before migration 009: its rejects gain the column (0, the first log).
            con.execute(f"ALTER TABLE {ALIAS}.rejects ADD COLUMN log_seq INTEGER DEFAULT 0")
            lake_columns = _columns(con, ALIAS, table)
        if store_columns != lake_columns:
            raise ConfigError(
                "lake",
                f"a lake whose {table} has columns {lake_columns}",
                f"the columns of this release's {table}: {store_columns} (publish to a new lake)",
            )


@dataclass(frozen=True)
class _Column:
    column_name: str
    data_type: str


def _columns(con: duckdb.DuckDBPyConnection, database: str, table: str) -> list[tuple[str, str]]:
    return [(c.column_name, c.data_type) for c in rows(con, "lake/table_columns", _Column, {"database": database, "table": table})]


@dataclass(frozen=True)
class Mirror:
    """Which store the attached lake mirrors, and how far, against the store it is attached to."""

    mirrored: str | None  # the store of the lake's newest publication (None before the first one)
    store_id: str
    store_batch: int
    watermark: tuple[int, int] | None  # the lake's (read_watermark)
    store_changed: int

    @property
    def other_store(self) -> bool:
        """The store was recreated at the same path: a new store id."""
        return self.mirrored is not None and self.mirrored != self.store_id

    @property
    def older_copy(self) -> bool:
        """The lake holds a later point of this store than the store does: restored from an older copy."""
        return self.watermark is not None and (self.watermark[0] > self.store_batch or self.watermark[1] > self.store_changed)


@dataclass(frozen=True)
class _Mirrored:
    mirrored: str | None
    store_id: str
    batch_seq: int
    changed_seq: int


@dataclass(frozen=True)
class _Watermark:
    batch_seq: int | None
    changed_seq: int | None


@dataclass(frozen=True)
class _Stale:
    stale: int
    lowest: int | None


def mirror(con: duckdb.DuckDBPyConnection) -> Mirror:
    found = one(con, "lake/mirrored_store", _Mirrored)
    return Mirror(found.mirrored, found.store_id, found.batch_seq, read_watermark(con), found.changed_seq)


def check_mirrors(con: duckdb.DuckDBPyConnection, lake: Lake, found: Mirror | None = None) -> None:
    """Refuse a lake whose newest publication came from another store (the store was recreated at
    the same path) or from a later point of this one than the store now holds (restored from an
    older copy): LakeMismatchError. Read once per attachment: a store cannot change under its writer."""
    found = mirror(con) if found is None else found  # what the caller already read, or read here
    if found.other_store:
        raise LakeMismatchError(lake.describe(), f"its publications come from store {found.mirrored}, and this is store {found.store_id}")
    if found.older_copy and found.watermark is not None:
        raise LakeMismatchError(
            lake.describe(),
            f"it holds this store up to batch {found.watermark[0]}, and the store holds batches only up to {found.store_batch} "
            "(restored from an older copy?)",
        )


@dataclass(frozen=True)
class LakeOffset:
    """Where the lake's rows of one Kafka partition end: its next offset, as of the store's batch `batch_seq`."""

    topic: str
    partition: int
    next_offset: int
    topic_id: str | None
    batch_seq: int


def lake_offsets(con: duckdb.DuckDBPyConnection) -> list[LakeOffset]:
    """The attached lake's Kafka offsets, written with its newest publication (none before the first)."""
    return rows(con, "lake/read/offsets", LakeOffset)


def read_watermark(con: duckdb.DuckDBPyConnection) -> tuple[int, int] | None:
    """The store's last batch and last reject change the lake holds; None before its first publication."""
    found = one(con, "lake/watermark", _Watermark)
    return None if found.batch_seq is None or found.changed_seq is None else (found.batch_seq, found.changed_seq)


def current_leader(con: duckdb.DuckDBPyConnection) -> Leader:
    """Who leads the attached lake (epoch 0: nobody yet)."""
    return one(con, "lake/leader/current", Leader)


def take_lead(con: duckdb.DuckDBPyConnection, replica: str, now: datetime) -> Lead:
    """Take the next epoch of the attached lake for `replica` (elected by the caller's mechanism):
    from its commit on, any publication of the previous leader fails."""
    with transaction(con):
        run(con, "lake/leader/take", {"replica": replica, "store_id": store_state(con).store_id, "now": now})
        taken = current_leader(con)
    return Lead(replica, taken.epoch)


def hold(con: duckdb.DuckDBPyConnection, lead: Lead | None) -> None:
    """Inside a publication's transaction: hold the lead, or raise LakeFencedError."""
    if lead is None:
        return
    if run(con, "lake/leader/hold", {"epoch": lead.epoch, "replica": lead.replica}) != 1:
        now = current_leader(con)
        raise LakeFencedError(lead.replica, lead.epoch, now.replica, now.epoch)


def publish(
    con: duckdb.DuckDBPyConnection,
    now: datetime,
    watermark: tuple[int, int] | None,
    *,
    reference: bool = True,
    lead: Lead | None = None,
    epoch: int | None = None,
) -> Publication | None:
    """Append to the lake what the store committed after `watermark` (the lake's, from
    read_watermark or the last Publication), in one DuckLake transaction; None if nothing changed.
    `con` is a connection of the store's own with the lake attached; the store's writer may go on
    committing meanwhile (this reads one snapshot of it). With `reference`, the reference tables
    are compared and replaced if they differ (the consumer loads them once, at its start). With
    `lead`, the publication holds the replica's epoch (LakeFencedError if another replica took it);
    without, it carries `epoch`, the lake's current one (read here if not given)."""
    with transaction(con):
        hold(con, lead)
        # A single consumer's publications carry the lake's current epoch (0 if no pair ever led it):
        # one that follows a pair's leader of the same store then still orders after its publications.
        if lead is not None:
            epoch = lead.epoch
        elif epoch is None:
            epoch = current_leader(con).epoch
        appended = _append(con, now, watermark, reference, epoch)
    if appended is None:
        return None
    return dataclasses.replace(appended, version=current_version(con), after=-1 if watermark is None else watermark[0])


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The attached lake's current snapshot."""
    return int(scalar(con, f"SELECT id FROM ducklake_current_snapshot('{ALIAS}')"))


def _append(
    con: duckdb.DuckDBPyConnection, now: datetime, watermark: tuple[int, int] | None, reference: bool, epoch: int | None = None
) -> Publication | None:
    """publish()'s work inside the caller's transaction, or None (its version and `after` still to fill)."""
    store = store_state(con)  # the store's own snapshot, in the transaction the rows are read in
    batch_seq, changed_seq = store.batch_seq, store.changed_seq
    after, changes_after = watermark if watermark is not None else (-1, -1)
    replaced = reference_differs(con) if reference else []
    if watermark is not None and (batch_seq, changed_seq) == watermark and not replaced:
        return None
    window = {"after": after, "upto": batch_seq}
    events = 0
    for table in EVENT_TABLES:
        events += run(con, "lake/append_events", window, table=relation(table))
        if watermark is None:
            events += run(con, "lake/append_unsequenced", table=relation(table))
    changes = {"changes_after": changes_after, "changes_upto": changed_seq}
    if watermark is None:
        rejects = run(con, "lake/copy_table", table="rejects")
        run(con, "lake/copy_table", table="agg_revenue_day")
    else:
        stale = one(con, "lake/stale_rejects", _Stale, changes | {"after": after})
        if stale.stale:  # when a publication fell between a reject's batch and its DLQ copy, on a replay, after a takeover
            run(con, "lake/delete_changed_rejects", changes | {"after": after, "lowest": stale.lowest})
        rejects = run(con, "lake/append_rejects", changes)
        run(con, "lake/delete_revenue_days", window)
        run(con, "lake/append_revenue_days", window)
    replace_reference(con, replaced)
    record = {"batch_seq": batch_seq, "changed_seq": changed_seq, "now": now, "events": events, "rejects": rejects, "epoch": epoch}
    run(con, "lake/record_publication", record)
    return Publication(batch_seq=batch_seq, changed_seq=changed_seq, events=events, rejects=rejects, version=-1, after=-1)


def replace_reference(con: duckdb.DuckDBPyConnection, tables: list[str]) -> None:
    for table in tables:
        con.execute(f"DELETE FROM {ALIAS}.{relation(table)}")
        run(con, "lake/copy_table", table=relation(table))


def rebuild(con: duckdb.DuckDBPyConnection, now: datetime) -> Publication:
    """Replace everything in the lake with the store's rows, as a first publication, in one DuckLake
    transaction: readers see the old lake until the commit, then the new one. For a lake that mirrors
    another store or an older copy (LakeMismatchError), and after `aggregates rebuild`."""
    with transaction(con):
        for table in (*LAKE_TABLES, "lake_publications"):
            con.execute(f"DELETE FROM {ALIAS}.{relation(table)}")
        appended = _append(con, now, None, reference=True, epoch=current_leader(con).epoch)
    assert appended is not None  # a first publication always writes its watermark
    return dataclasses.replace(appended, version=current_version(con), after=-1)


def reference_differs(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The reference tables whose rows in the lake differ from the store's (tens to thousands of rows)."""
    differ = []
    for table in REFERENCE_TABLES:
        name = relation(table)
        count = scalar(
            con,
            f"SELECT count(*) FROM ((FROM main.{name} EXCEPT ALL FROM {ALIAS}.{name}) "
            f"UNION ALL (FROM {ALIAS}.{name} EXCEPT ALL FROM main.{name}))",
        )
        if count:
            differ.append(table)
    return differ
