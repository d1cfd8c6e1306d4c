"""A new leader's first publication into a lake that mirrors the other replica's store: keyed to
Kafka, it appends this store's rows, rejects and revenue days of the records past the offsets the
lake's newest publication recorded, skipping events the lake holds from another copy and judging
this store's copies past the offsets again against the lake's (take_over). From its commit on the
lake mirrors this store, batch by batch (publication.py).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import duckdb
import polars as pl

from streams.lake.location import EVENT_TABLES
from streams.lake.publication import (
    Lead,
    Publication,
    current_version,
    hold,
    lake_offsets,
    reference_differs,
    replace_reference,
)
from streams.store import one, relation, rows, run, store_state, transaction


@dataclass(frozen=True)
class Behind:
    """A partition where this store has not stored what the lake holds (or holds another log of it)."""

    topic: str
    partition: int
    lake_offset: int
    own_offset: int | None
    other_log: bool


@dataclass(frozen=True)
class _Floor:
    floor: int


@dataclass(frozen=True)
class _Lowest:
    lowest: int | None


LAKE_OFFSETS = {"topic": pl.String, "partition": pl.Int32, "next_offset": pl.Int64, "topic_id": pl.String}


@contextlib.contextmanager
def _offsets_registered(con: duckdb.DuckDBPyConnection) -> Iterator[None]:
    """The lake's newest publication's offsets, read first and registered as `lake_offsets` for the
    takeover's statements. Not read inside them: DuckLake 1.5.5 fails a DELETE of a lake table whose
    source scans another lake table while the store is written meanwhile ("Could not find matching
    file for written delete file", an internal error that invalidates the whole database)."""
    found = [(o.topic, o.partition, o.next_offset, o.topic_id) for o in lake_offsets(con)]
    con.register("lake_offsets", pl.DataFrame(found, schema=LAKE_OFFSETS, orient="row").to_arrow())
    try:
        yield
    finally:
        con.unregister("lake_offsets")


def behind(con: duckdb.DuckDBPyConnection) -> list[Behind]:
    """The partitions that keep this store from taking over the attached lake (none: it can)."""
    with _offsets_registered(con):
        return rows(con, "lake/takeover/behind", Behind)


def adopt_dlq(con: duckdb.DuckDBPyConnection) -> int:
    """Before a new leader copies rejects to the DLQ: mark those the previous leader was to copy (of
    records before the lake's offsets) as copied, except those the lake says it had not copied yet.
    Changes the store's rows only; returns how many."""
    with transaction(con), _offsets_registered(con):
        return run(con, "lake/takeover/adopt_dlq")


@dataclass(frozen=True)
class _Copy:
    topic: str
    event_id: str
    source_partition: int
    source_offset: int
    kind: str  # row, duplicate or conflict
    copy_class: str  # 'kept' (the kept row's content) or the md5 of the bytes received
    lake_class: str | None  # the class of the copy the lake holds (None: not yet resolved)


@dataclass(frozen=True)
class _LakeCopy:
    event_id: str
    partition: int
    offset: int


OUTCOMES = {"topic": pl.String, "source_partition": pl.Int32, "source_offset": pl.Int64, "event_id": pl.String, "outcome": pl.String}


def _outcome(copy: _Copy) -> str | None:
    """What a copy past the lake's offsets is in the lake, whose copy of the event is of `lake_class`:
    'conflicting' (a reject the lake lacks), 'dropped' (a reject of this store's the lake must not
    take: it is the lake's own copy again), or None (the lake takes this store's decision)."""
    same = copy.copy_class == copy.lake_class
    if copy.kind in ("row", "duplicate"):
        return None if same else "conflicting"
    return "dropped" if same else None


def takeover_outcomes(con: duckdb.DuckDBPyConnection, window: dict[str, int]) -> pl.DataFrame:
    """For the events this store kept from a copy past the lake's offsets while the lake holds them
    from a copy before (lake/takeover/held_copies.sql), what each of this store's copies past the
    offsets is in the lake: the two replicas read them in another order."""
    decided: list[tuple[str, int, int, str, str]] = []
    for table in EVENT_TABLES:
        found = rows(con, "lake/takeover/held_copies", _Copy, window | {"resolved": []}, table=relation(table))
        ambiguous = sorted({c.event_id for c in found if c.lake_class is None})
        if ambiguous:  # copies before the offsets that differ among themselves: the lake says which it holds
            where = rows(con, "lake/takeover/lake_copies", _LakeCopy, {"ids": ambiguous}, table=relation(table))
            resolved = [{"event_id": w.event_id, "partition": w.partition, "offset": w.offset} for w in where]
            found = rows(con, "lake/takeover/held_copies", _Copy, window | {"resolved": resolved}, table=relation(table))
        for copy in found:
            outcome = _outcome(copy)
            if outcome is not None:
                decided.append((copy.topic, copy.source_partition, copy.source_offset, copy.event_id, outcome))
    return pl.DataFrame(decided, schema=OUTCOMES, orient="row")


def take_over(con: duckdb.DuckDBPyConnection, now: datetime, lead: Lead) -> Publication | None:
    """A new leader's first publication into a lake that mirrors another store: this store's rows,
    rejects and revenue days of the records past the lake's offsets, in one DuckLake transaction
    that holds `lead`; from its commit on, the lake mirrors this store (publish() goes on from its
    batch). None if this store is behind the lake on some partition (behind() says where): it has
    not stored everything the lake holds yet."""
    with transaction(con), _offsets_registered(con):
        hold(con, lead)
        if rows(con, "lake/takeover/behind", Behind):
            return None
        store = store_state(con)
        floor = one(con, "lake/takeover/bounds", _Floor).floor
        lowest = one(con, "lake/takeover/lowest", _Lowest, {"floor": floor}).lowest
        window = {"floor": floor, "lowest": store.batch_seq + 1 if lowest is None else lowest}
        con.register("takeover_outcomes", takeover_outcomes(con, window).to_arrow())
        try:
            events = sum(run(con, "lake/takeover/append_events", window, table=relation(table)) for table in EVENT_TABLES)
            rejects = run(con, "lake/takeover/append_rejects", window)
            conflicts = {"now": now, "changed_seq": store.changed_seq}
            rejects += sum(run(con, "lake/takeover/append_conflicts", window | conflicts, table=relation(table)) for table in EVENT_TABLES)
        finally:
            con.unregister("takeover_outcomes")
        run(con, "lake/takeover/delete_revenue_days", window)
        run(con, "lake/takeover/append_revenue_days", window)
        replace_reference(con, reference_differs(con))
        record = {
            "batch_seq": store.batch_seq, "changed_seq": store.changed_seq, "now": now,
            "events": events, "rejects": rejects, "epoch": lead.epoch,
        }  # fmt: skip
        run(con, "lake/record_publication", record)
    return Publication(store.batch_seq, store.changed_seq, events, rejects, current_version(con), after=-1, takeover=True)
