"""The writer's DuckDB connection: one transaction per batch holds rows, aggregates and offsets.

Per batch, the work depends on the batch and the number of departments, never on the history:
event_ids are looked up in the on-disk index (index.py), new events are appended (the tables have
no primary-key index), the aggregates take the batch's contribution (aggregates.py), and the
batch's index entries are written once DuckDB has committed.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Literal

import duckdb
import polars as pl

from streams.contract.events import EVENT_TYPES, EventSpec
from streams.decode.batch import accepted_schema
from streams.decode.dedupe import SOURCE, against, conflicts, duplicates, split_duplicates
from streams.decode.result import REJECT_SCHEMA, DecodedBatch
from streams.errors import StoreInconsistentError
from streams.store import aggregates
from streams.store.index import Index, IndexWrites, catch_up, event_entries
from streams.store.sqlfiles import one, relation, rows, run, statement
from streams.store.transaction import transaction

log = logging.getLogger(__name__)
DUPLICATE_SCHEMA = {"source_topic": pl.String(), "source_partition": pl.Int32(), "source_offset": pl.Int64(), "event_id": pl.String()}


@dataclass
class WriteCounts:
    """What one batch did, by outcome."""

    accepted: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)


@dataclass
class _Batch:
    """What a batch transaction has done so far, for the aggregates and the index."""

    seq: int
    now: datetime
    changed: int  # the number of this batch's change to reject rows
    counts: WriteCounts = field(default_factory=WriteCounts)
    new: dict[str, list[pl.DataFrame]] = field(default_factory=dict)  # table -> rows stored
    duplicates: list[pl.DataFrame] = field(default_factory=list)
    rejects: list[pl.DataFrame] = field(default_factory=list)
    index: IndexWrites = field(default_factory=IndexWrites)

    @property
    def params(self) -> dict[str, object]:
        return {"now": self.now, "batch_seq": self.seq}


@dataclass(frozen=True)
class StoreState:
    store_id: str  # a UUID made by migration 004: a store recreated at the same path is another store
    batch_seq: int  # the last batch committed
    changed_seq: int  # the last change to stored rejects


def store_state(con: duckdb.DuckDBPyConnection) -> StoreState:
    return one(con, "write/store_state", StoreState)  # one row from migration 004 on


@dataclass(frozen=True)
class _Offset:
    topic: str
    partition: int
    next_offset: int


@dataclass(frozen=True)
class _TopicId:
    topic: str
    partition: int
    topic_id: str


class EventStore:
    """Writes decoded batches and the offsets they came from, atomically."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, index: Index | None = None) -> None:
        self._con = con
        self.path = path
        self._index = index
        state = store_state(con) if index is not None else StoreState("", 0, 0)
        self._store_id, self._batch_seq, self._changed_seq = state.store_id, state.batch_seq, state.changed_seq
        self._indexed_seq = self._batch_seq
        self._unpublished_from = 0  # the earliest batch that may hold rejects not yet in the DLQ

    def close(self) -> None:
        if self._index is not None:
            self._index.state.close()
        self._con.close()

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A long-lived connection to the same database, for another thread; the caller closes it."""
        return self._con.cursor()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A separate connection to the same database, for another thread (e.g. a scrape)."""
        cursor = self._con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def accept_new_log(self, topic: str, partition: int, now: datetime, by: str, note: str | None) -> int | None:
        """Record the acceptance of a partition's new log and forget its stored offset; returns that offset (None if none)."""
        before = self.stored_offsets([topic]).get((topic, partition))
        if before is None:
            return None
        where = {"topic": topic, "partition": partition}
        with transaction(self._con):
            run(self._con, "write/accept_new_log", where | {"now": now, "by": by, "note": note})
            run(self._con, "write/forget_offset", where)
        return before

    def stored_offsets(self, topics: Iterable[str] | None = None) -> dict[tuple[str, int], int]:
        """The next offset to read for every partition the database has seen.

        Read on a connection of its own: the consumer asks from Kafka's threads (kafka-python runs
        the rebalance listener on its network thread) while the writer's thread may be using the
        writer's connection, and one DuckDB connection used from two threads at once can hang both
        (it did: a rebalance during a DLQ bookkeeping transaction)."""
        with self.reader() as con:
            found = rows(con, "write/stored_offsets", _Offset)
        wanted = set(topics) if topics is not None else None
        return {(o.topic, o.partition): o.next_offset for o in found if wanted is None or o.topic in wanted}

    def stored_topic_ids(self) -> dict[tuple[str, int], str]:
        """The id of the topic each partition's stored offset belongs to, where known (read like stored_offsets)."""
        with self.reader() as con:
            found = rows(con, "write/stored_topic_ids", _TopicId)
        return {(t.topic, t.partition): t.topic_id for t in found}

    @property
    def batch_seq(self) -> int:
        """The last batch committed."""
        return self._batch_seq

    def write_batch(
        self,
        decoded: list[tuple[EventSpec, DecodedBatch]],
        next_offsets: dict[tuple[str, int], int],
        now: datetime,
        replays: pl.DataFrame | None = None,
        topic_ids: Mapping[str, str] | None = None,
    ) -> WriteCounts:
        """Store accepted rows, duplicates, rejects, aggregates and next offsets in one transaction.

        `topic_ids` (topic -> Kafka's topic id) is stored with the offsets: the log they belong to.

        Messages in `replays` (batch.replay_frame) that are byte-for-byte a stored reject record
        their outcome on that reject instead: a new event is stored, but a repeated rejection or
        duplicate adds no row, so replaying the same rejects again changes nothing.
        """
        index = self._writer_index()
        self._sync_index(index)
        batch = _Batch(self._batch_seq + 1, now, self._changed_seq + 1)
        with transaction(self._con):
            genuine = self._genuine_replays(replays) if replays is not None and replays.height else None
            for spec, part in decoded:
                if genuine is not None and genuine.height:
                    part, replayed = _split_replays(part, genuine)
                    if replayed.size:
                        self._store_replays(index, spec, replayed, genuine, batch)
                self._store_events(index, spec, part, batch)
            self._finish(index, batch, next_offsets, topic_ids or {})
        self._batch_seq, self._changed_seq = batch.seq, batch.changed
        try:  # the batch is committed: a failure here only leaves the index behind, and _sync_index catches up
            index.state.write(batch.index.entries, batch.seq, self._store_id)
            self._indexed_seq = batch.seq
        except Exception as exc:
            log.error("the index missed batch %d; it catches up from DuckDB before the next batch: %s", batch.seq, exc)
        return batch.counts

    def _writer_index(self) -> Index:
        if self._index is None:
            raise RuntimeError(f"{self.path} was opened read-only")
        return self._index

    def _sync_index(self, index: Index) -> None:
        if self._indexed_seq != self._batch_seq:
            watermark = index.state.watermark
            catch_up(self._con, index, -1 if watermark is None else watermark, self._batch_seq, self._store_id)
            self._indexed_seq = self._batch_seq

    # -- one topic's share of a batch ----------------------------------------------------------
    def _store_events(self, index: Index, spec: EventSpec, part: DecodedBatch, batch: _Batch) -> None:
        split = split_duplicates(part.accepted, spec)
        seen = self._store_new(index, spec, split.unique, batch)
        joined = against(seen, self._stored(spec, seen), spec)
        batch.duplicates += [split.duplicates, duplicates(joined)]
        batch.rejects += [
            part.rejects,
            split.conflicts,
            conflicts(joined, "event_id {} was already accepted from {}[{}]@{} with different content"),
        ]
        _add(batch.counts.duplicates, spec.topic, split.duplicates.height + int(joined["same"].sum()))

    def _store_new(self, index: Index, spec: EventSpec, unique: pl.DataFrame, batch: _Batch) -> pl.DataFrame:
        """Store the rows whose event_id is new; return the others with where the stored one came from."""
        seen = index.seen(spec.stream, unique["event_id"])
        new = unique.join(seen, on="event_id", how="anti")
        if new.height:
            self._con.register("new_events", new.to_arrow())
            run(self._con, "write/insert_events", batch.params, table=relation(spec.table))
            self._con.unregister("new_events")
            batch.new.setdefault(spec.table, []).append(new)
            batch.index.add(event_entries(spec.stream, new))
        _add(batch.counts.accepted, spec.topic, new.height)
        return unique.join(seen, on="event_id", how="inner")

    def _stored(self, spec: EventSpec, seen: pl.DataFrame) -> pl.DataFrame:
        """The stored events the index located for `seen`; every one must be there."""
        if seen.is_empty():
            return pl.DataFrame(schema=accepted_schema(spec))
        self._con.register("seen", seen.select("event_id", "stored_partition", "stored_offset").to_arrow())
        bounds: dict[str, object] = {"lowest": seen["stored_offset"].min(), "highest": seen["stored_offset"].max()}
        stored = _frame(self._con, statement("write/stored_events", table=relation(spec.table)), bounds)
        self._con.unregister("seen")
        if stored.height != seen["event_id"].n_unique():
            missing = seen.join(stored, on="event_id", how="anti")["event_id"].head(3).to_list()
            raise StoreInconsistentError(str(self.path), f"the index locates {spec.table} events that are not stored, e.g. {missing}")
        return stored

    def _store_replays(self, index: Index, spec: EventSpec, replayed: DecodedBatch, genuine: pl.DataFrame, batch: _Batch) -> None:
        """Store what a replay accepts; record every replay's outcome on its original reject."""
        split = split_duplicates(replayed.accepted, spec)
        seen = self._store_new(index, spec, split.unique, batch)
        joined = against(seen, self._stored(spec, seen), spec)
        stored_from = pl.format("event_id {} is stored from {}[{}]@{}", "event_id", *[f"ref_{c}" for c in SOURCE])
        outcomes = [
            replayed.rejects.select(*SOURCE, pl.col("reason").alias("status"), "detail"),
            split.duplicates.select(*SOURCE, pl.lit("duplicate").alias("status"), pl.lit("replayed twice in one batch").alias("detail")),
            split.conflicts.select(*SOURCE, pl.col("reason").alias("status"), "detail"),
            split.unique.join(seen, on="event_id", how="anti").select(
                *SOURCE,
                pl.lit("accepted").alias("status"),
                pl.format("stored from {}[{}]@{}", *[pl.col(c) for c in SOURCE]).alias("detail"),
            ),
            joined.select(
                *SOURCE,
                pl.when("same").then(pl.lit("duplicate")).otherwise(pl.lit("conflicting_duplicate")).alias("status"),
                stored_from.alias("detail"),
            ),
        ]
        frame = pl.concat([o.cast({"source_partition": pl.Int32, "source_offset": pl.Int64}) for o in outcomes], how="vertical")
        self._con.register("replay_outcomes", frame.join(genuine, on=SOURCE, how="inner").to_arrow())
        run(self._con, "write/replay_outcomes", {"now": batch.now, "changed_seq": batch.changed})
        self._con.unregister("replay_outcomes")

    def _genuine_replays(self, replays: pl.DataFrame) -> pl.DataFrame:
        """The replays whose value equals the stored reject they name (others are ordinary messages)."""
        self._con.register("incoming_replays", replays.to_arrow())
        genuine = _frame(self._con, statement("write/genuine_replays"))
        self._con.unregister("incoming_replays")
        return genuine.cast({"source_partition": pl.Int32, "source_offset": pl.Int64})

    # -- the end of the transaction ----------------------------------------------------------
    def _finish(self, index: Index, batch: _Batch, next_offsets: dict[tuple[str, int], int], topic_ids: Mapping[str, str]) -> None:
        con = self._con
        rejects = (
            pl.concat([r.cast(pl.Schema(REJECT_SCHEMA)) for r in batch.rejects], how="vertical") if batch.rejects else _empty(REJECT_SCHEMA)
        )
        dups = (
            pl.concat([d.cast(pl.Schema(DUPLICATE_SCHEMA)) for d in batch.duplicates], how="vertical")
            if batch.duplicates
            else _empty(DUPLICATE_SCHEMA)
        )
        relations = {"new_duplicates": dups, "new_rejects": rejects}
        for spec in EVENT_TYPES.values():
            rows = batch.new.get(spec.table, [])
            relations[f"new_{spec.table}"] = pl.concat(rows, how="vertical") if rows else _empty(accepted_schema(spec))
        for name, frame in relations.items():
            con.register(name, frame.to_arrow())
        if dups.height:
            run(con, "write/insert_duplicates", batch.params)
        if rejects.height:
            run(con, "write/insert_rejects", batch.params | {"changed_seq": batch.changed})
            for reason, n in rejects.group_by("reason").len().iter_rows():
                _add(batch.counts.rejected, reason, n)
        present = {name.removeprefix("new_") for name, frame in relations.items() if frame.height}
        aggregates.merge_batch(con, present)
        declarations = relations["new_declarations"].filter(pl.col("status").is_in(["registered", "cleared"]))
        if declarations.height:
            deltas, entries = index.release_update(declarations)
            aggregates.merge_release(con, deltas)
            batch.index.add(entries)
        for name in relations:
            con.unregister(name)
        self._write_offsets(next_offsets, batch.now, topic_ids)
        run(con, "write/end_batch", {"batch_seq": batch.seq, "changed_seq": batch.changed})

    def _write_offsets(self, next_offsets: dict[tuple[str, int], int], now: datetime, topic_ids: Mapping[str, str]) -> None:
        if not next_offsets:
            return
        frame = pl.DataFrame(
            {
                "topic": [t for t, _ in next_offsets],
                "partition": [p for _, p in next_offsets],
                "next_offset": list(next_offsets.values()),
                "topic_id": [topic_ids.get(t) for t, _ in next_offsets],
            },
            schema={"topic": pl.String, "partition": pl.Int32, "next_offset": pl.Int64, "topic_id": pl.String},
        )
        self._con.register("incoming_offsets", frame.to_arrow())
        run(self._con, "write/upsert_offsets", {"now": now})
        self._con.unregister("incoming_offsets")

    # -- the DLQ bookkeeping ------------------------------------------------------------------
    def unpublished_rejects(self, limit: int = 10_000) -> pl.DataFrame:
        """Rejects not yet copied to the DLQ topic, oldest first."""
        frame = _frame(self._con, statement("write/unpublished_rejects"), {"from_batch": self._unpublished_from, "limit": limit})
        if frame.is_empty():
            self._unpublished_from = self._batch_seq + 1  # everything up to here is published
        return frame

    def mark_published(self, rejects: pl.DataFrame) -> None:
        if rejects.is_empty():
            return
        change = self._changed_seq + 1
        self._con.register("published", rejects.select(*SOURCE, "log_seq").to_arrow())
        try:
            with transaction(self._con):
                run(self._con, "write/mark_published", {"from_batch": self._unpublished_from, "changed_seq": change})
                run(self._con, "write/change_rejects", {"changed_seq": change})
        finally:
            self._con.unregister("published")
        self._changed_seq = change

    def replace_tables(self, contents: dict[str, pl.DataFrame]) -> None:
        """Replace the rows of small reference tables, all in one transaction."""
        with transaction(self._con) as con:
            for table, frame in contents.items():
                con.register("incoming_reference", frame.to_arrow())
                con.execute(f"DELETE FROM {relation(table)}")
                con.execute(f"INSERT INTO {relation(table)} BY NAME SELECT * FROM incoming_reference")
                con.unregister("incoming_reference")


def _add(counter: dict[str, int], key: str, n: int) -> None:
    counter[key] = counter.get(key, 0) + int(n)


def _empty(schema: dict[str, pl.DataType]) -> pl.DataFrame:
    return pl.DataFrame(schema=schema)


def _split_replays(batch: DecodedBatch, genuine: pl.DataFrame) -> tuple[DecodedBatch, DecodedBatch]:
    """(ordinary messages, replayed rejects) of one topic's batch."""
    keys = genuine.select(SOURCE)

    def part(frame: pl.DataFrame, how: Literal["semi", "anti"]) -> pl.DataFrame:
        return frame.join(keys, on=SOURCE, how=how)

    return (
        DecodedBatch(part(batch.accepted, "anti"), part(batch.rejects, "anti")),
        DecodedBatch(part(batch.accepted, "semi"), part(batch.rejects, "semi")),
    )


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None) -> pl.DataFrame:
    """A query's whole result as a Polars frame, through Arrow."""
    return pl.DataFrame(pl.from_arrow(con.sql(sql, params=params).to_arrow_table()))
