"""The writer's DuckDB connection: one transaction per batch holds rows, rejects and offsets."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path

import duckdb
import polars as pl

from streams.config import check_memory_limit
from streams.contract.events import EVENT_TYPES, EventSpec
from streams.decode.dedupe import SOURCE, split_duplicates
from streams.decode.result import REJECT_SCHEMA, DecodedBatch
from streams.errors import DatabaseInUseError
from streams.store.schema import apply_schema
from streams.store.views import apply_views

REJECT_COLUMNS = list(REJECT_SCHEMA)


@dataclass
class WriteCounts:
    """What one batch did, by outcome."""

    accepted: dict[str, int] = field(default_factory=dict)
    duplicates: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)


def duckdb_version() -> str:
    return str(duckdb.__version__)


def open_store(path: str | Path, *, read_only: bool = False, memory_limit: str | None = None) -> EventStore:
    """Open (and migrate) the database, failing clearly if another process holds it.

    `memory_limit` (a size checked by `config.check_memory_limit`) caps DuckDB's buffer pool, which
    otherwise grows with the file up to 80% of RAM."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise DatabaseInUseError(str(path), str(exc).splitlines()[0]) from exc
        raise
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET threads = 1")
    if memory_limit is not None:
        con.execute(f"SET memory_limit = '{check_memory_limit(memory_limit)}'")  # checked: digits and a unit only
    if not read_only:
        apply_schema(con)
        apply_views(con)
    return EventStore(con, path)


class EventStore:
    """Writes decoded batches and the offsets they came from, atomically."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path) -> None:
        self._con = con
        self.path = path

    def close(self) -> None:
        self._con.close()

    @contextmanager
    def reader(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A separate connection to the same database, for another thread (e.g. a scrape)."""
        cursor = self._con.cursor()
        try:
            yield cursor
        finally:
            cursor.close()

    def stored_offsets(self, topics: Iterable[str] | None = None) -> dict[tuple[str, int], int]:
        """The next offset to read for every partition the database has seen."""
        rows = self._con.execute('SELECT topic, "partition", next_offset FROM consumer_offsets').fetchall()
        wanted = set(topics) if topics is not None else None
        return {(t, p): o for t, p, o in rows if wanted is None or t in wanted}

    def write_batch(
        self,
        decoded: list[tuple[EventSpec, DecodedBatch]],
        next_offsets: dict[tuple[str, int], int],
        now: datetime,
        replays: pl.DataFrame | None = None,
    ) -> WriteCounts:
        """Store accepted rows, duplicates, rejects and next offsets in one transaction.

        Messages in `replays` (batch.replay_frame) that are byte-for-byte a stored reject record
        their outcome on that reject instead: a new event is stored, but a repeated rejection or
        duplicate adds no row, so replaying the same rejects again changes nothing.
        """
        counts = WriteCounts()
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            genuine = self._genuine_replays(replays) if replays is not None and replays.height else None
            for spec, batch in decoded:
                if genuine is not None and genuine.height:
                    batch, replayed = _split_replays(batch, genuine)
                    if replayed.size:
                        self._write_replays(spec, replayed, genuine, now, counts)
                self._write_events(spec, batch, now, counts)
            self._write_offsets(next_offsets, now)
            con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):  # a failed COMMIT has already ended the transaction
                con.execute("ROLLBACK")
            raise
        return counts

    def _write_events(self, spec: EventSpec, batch: DecodedBatch, now: datetime, counts: WriteCounts) -> None:
        con = self._con
        split = split_duplicates(batch.accepted, spec)
        rejects = pl.concat([batch.rejects, split.conflicts], how="vertical")
        duplicates = self._insert_duplicates(split.duplicates, now)
        inserted = 0
        if split.unique.height:
            sql = _event_sql_for(spec.event_type)
            con.register("incoming", split.unique.to_arrow())
            stored = con.sql(sql.insert, params={"now": now}).to_arrow_table()  # the ones the primary key let in
            inserted = stored.num_rows
            if inserted < split.unique.height:  # some event_ids were stored before: duplicates or conflicts
                seen = split.unique.join(pl.DataFrame(pl.from_arrow(stored)), on="event_id", how="anti")
                con.register("incoming", seen.to_arrow())
                duplicates += _count(con.execute(sql.duplicates, {"now": now}))
                conflicts = _count(con.execute(sql.conflicts, {"now": now}))
                counts.rejected["conflicting_duplicate"] = counts.rejected.get("conflicting_duplicate", 0) + conflicts
            con.unregister("incoming")
        counts.accepted[spec.topic] = counts.accepted.get(spec.topic, 0) + inserted
        counts.duplicates[spec.topic] = counts.duplicates.get(spec.topic, 0) + duplicates
        if rejects.height:
            columns = ", ".join(REJECT_COLUMNS)
            con.register("incoming_rejects", rejects.to_arrow())
            con.execute(f"INSERT INTO rejects ({columns}, rejected_at) SELECT {columns}, $now FROM incoming_rejects", {"now": now})
            con.unregister("incoming_rejects")
            for reason, n in rejects.group_by("reason").len().iter_rows():
                counts.rejected[reason] = counts.rejected.get(reason, 0) + n

    def _genuine_replays(self, replays: pl.DataFrame) -> pl.DataFrame:
        """The replays whose value equals the stored reject they name (others are ordinary messages)."""
        self._con.register("incoming_replays", replays.to_arrow())
        genuine = _frame(
            self._con,
            "SELECT i.source_topic, i.source_partition, i.source_offset, i.original_topic, i.original_partition, i.original_offset "
            "FROM incoming_replays i JOIN rejects r ON r.source_topic = i.original_topic "
            "AND r.source_partition = i.original_partition AND r.source_offset = i.original_offset "
            "WHERE r.raw_value IS NOT DISTINCT FROM i.raw_value",
        )
        self._con.unregister("incoming_replays")
        return genuine.cast({"source_partition": pl.Int32, "source_offset": pl.Int64})

    def _write_replays(self, spec: EventSpec, replayed: DecodedBatch, genuine: pl.DataFrame, now: datetime, counts: WriteCounts) -> None:
        """Store what a replay accepts; record every replay's outcome on its original reject."""
        con = self._con
        outcomes = [replayed.rejects.select(*SOURCE, pl.col("reason").alias("status"), "detail")]
        split = split_duplicates(replayed.accepted, spec)
        outcomes.append(
            split.duplicates.select(*SOURCE, pl.lit("duplicate").alias("status"), pl.lit("replayed twice in one batch").alias("detail"))
        )
        outcomes.append(split.conflicts.select(*SOURCE, pl.col("reason").alias("status"), "detail"))
        if split.unique.height:
            sql = _event_sql_for(spec.event_type)
            con.register("incoming", split.unique.to_arrow())
            stored = _frame(con, sql.insert, {"now": now})
            counts.accepted[spec.topic] = counts.accepted.get(spec.topic, 0) + stored.height
            inserted = split.unique.join(stored, on="event_id", how="semi")
            outcomes.append(
                inserted.select(
                    *SOURCE,
                    pl.lit("accepted").alias("status"),
                    pl.format("stored from {}[{}]@{}", *[pl.col(c) for c in SOURCE]).alias("detail"),
                )
            )
            if stored.height < split.unique.height:  # the event was stored before: the same or other content
                con.register("incoming", split.unique.join(stored, on="event_id", how="anti").to_arrow())
                outcomes.append(_frame(con, sql.classify))
            con.unregister("incoming")
        frame = pl.concat([o.cast({"source_partition": pl.Int32, "source_offset": pl.Int64}) for o in outcomes], how="vertical")
        frame = frame.join(genuine, on=SOURCE, how="inner")
        con.register("replay_outcomes", frame.to_arrow())
        con.execute(
            # A later replay finding the event already stored does not undo "accepted"; an unchanged
            # outcome keeps its time: replaying the same rejects again changes nothing.
            "UPDATE rejects SET replay_status = o.status, replay_detail = o.detail, replayed_at = $now "
            "FROM replay_outcomes o WHERE rejects.source_topic = o.original_topic "
            "AND rejects.source_partition = o.original_partition AND rejects.source_offset = o.original_offset "
            "AND rejects.replay_status IS DISTINCT FROM o.status "
            "AND NOT (rejects.replay_status = 'accepted' AND o.status = 'duplicate')",
            {"now": now},
        )
        con.unregister("replay_outcomes")

    def _insert_duplicates(self, duplicates: pl.DataFrame, now: datetime) -> int:
        if duplicates.is_empty():
            return 0
        self._con.register("incoming_duplicates", duplicates.to_arrow())
        n = _count(
            self._con.execute(
                "INSERT INTO duplicates SELECT source_topic, source_partition, source_offset, event_id, $now FROM incoming_duplicates",
                {"now": now},
            )
        )
        self._con.unregister("incoming_duplicates")
        return n

    def _write_offsets(self, next_offsets: dict[tuple[str, int], int], now: datetime) -> None:
        if not next_offsets:
            return
        frame = pl.DataFrame(
            {"topic": [t for t, _ in next_offsets], "partition": [p for _, p in next_offsets], "next_offset": list(next_offsets.values())},
            schema={"topic": pl.String, "partition": pl.Int32, "next_offset": pl.Int64},
        )
        self._con.register("incoming_offsets", frame.to_arrow())
        self._con.execute(
            'INSERT INTO consumer_offsets SELECT topic, "partition", next_offset, $now FROM incoming_offsets '
            'ON CONFLICT (topic, "partition") DO UPDATE SET next_offset = excluded.next_offset, updated_at = excluded.updated_at',
            {"now": now},
        )
        self._con.unregister("incoming_offsets")

    def copy_to(self, path: Path, now: datetime) -> int:
        """Copy every table, view and macro into a new database file with a snapshot_info row; returns the event rows copied."""
        con = self._con
        database = con.execute("SELECT current_database()").fetchone()[0]  # type: ignore[index]
        con.execute(f"ATTACH '{_quoted(path)}' AS snapshot_out")
        try:
            con.execute(f'COPY FROM DATABASE "{database}" TO snapshot_out')
            con.execute(
                "CREATE TABLE snapshot_out.snapshot_info AS SELECT CAST($now AS TIMESTAMPTZ) AS taken_at, "
                "(SELECT max(updated_at) FROM consumer_offsets) AS last_batch_at, "
                "(SELECT count(*) FROM declarations) + (SELECT count(*) FROM revenue) + (SELECT count(*) FROM seizures) AS events",
                {"now": now},
            )
            rows = con.execute("SELECT events FROM snapshot_out.snapshot_info").fetchone()[0]  # type: ignore[index]
        finally:
            con.execute("DETACH snapshot_out")
        return int(rows)

    def replace_tables(self, contents: dict[str, pl.DataFrame]) -> None:
        """Replace the rows of small reference tables, all in one transaction."""
        con = self._con
        con.execute("BEGIN TRANSACTION")
        try:
            for table, frame in contents.items():
                con.register("incoming_reference", frame.to_arrow())
                con.execute(f"DELETE FROM {table}")
                con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming_reference")
                con.unregister("incoming_reference")
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def unpublished_rejects(self, limit: int = 10_000) -> pl.DataFrame:
        """Rejects not yet copied to the DLQ topic, oldest first."""
        relation = self._con.sql(
            f"SELECT {', '.join(REJECT_COLUMNS)} FROM rejects WHERE NOT dlq_published "
            f"ORDER BY rejected_at, source_topic, source_partition, source_offset LIMIT {int(limit)}"
        )
        return pl.DataFrame(pl.from_arrow(relation.to_arrow_table()))

    def mark_published(self, rejects: pl.DataFrame) -> None:
        if rejects.is_empty():
            return
        self._con.register("published", rejects.select(SOURCE).to_arrow())
        self._con.execute(
            "UPDATE rejects SET dlq_published = true FROM published p WHERE rejects.source_topic = p.source_topic "
            "AND rejects.source_partition = p.source_partition AND rejects.source_offset = p.source_offset"
        )
        self._con.unregister("published")


@dataclass(frozen=True)
class _EventSql:
    duplicates: str  # rows of `incoming` already stored with the same content
    conflicts: str  # rows of `incoming` already stored with other content
    insert: str  # store the rows of `incoming` whose event_id is new; returns their ids
    classify: str  # rows of `incoming` already stored: duplicate or conflicting_duplicate, with a detail


@cache
def _event_sql_for(event_type: str) -> _EventSql:
    """The statements that sort a batch's first occurrences against the stored events of one table."""
    spec = EVENT_TYPES[event_type]
    table = spec.table
    same = " AND ".join(f"i.{c} IS NOT DISTINCT FROM e.{c}" for c in spec.field_names if c != "event_id")
    matched = f"FROM incoming i JOIN {table} e USING (event_id)"
    columns = ", ".join([*spec.field_names, *SOURCE])
    return _EventSql(
        duplicates=(
            f"INSERT INTO duplicates SELECT i.source_topic, i.source_partition, i.source_offset, i.event_id, $now {matched} WHERE {same}"
        ),
        conflicts=(
            "INSERT INTO rejects (source_topic, source_partition, source_offset, message_key, raw_value, reason, detail, event_id, "
            "rejected_at) "
            "SELECT i.source_topic, i.source_partition, i.source_offset, i.message_key, i.raw_value, 'conflicting_duplicate', "
            "format('event_id {} was already accepted from {}[{}]@{} with different content', "
            f"i.event_id, e.source_topic, e.source_partition, e.source_offset), i.event_id, $now {matched} WHERE NOT ({same})"
        ),
        insert=(
            f"INSERT INTO {table} ({columns}, ingested_at) SELECT {columns}, $now FROM incoming ON CONFLICT DO NOTHING RETURNING event_id"
        ),
        classify=(
            "SELECT i.source_topic, i.source_partition, i.source_offset, "
            f"CASE WHEN {same} THEN 'duplicate' ELSE 'conflicting_duplicate' END AS status, "
            "format('event_id {} is stored from {}[{}]@{}', i.event_id, e.source_topic, e.source_partition, e.source_offset) AS detail "
            f"{matched}"
        ),
    )


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _count(result: duckdb.DuckDBPyConnection) -> int:
    row = result.fetchone()
    return int(row[0]) if row else 0


def _split_replays(batch: DecodedBatch, genuine: pl.DataFrame) -> tuple[DecodedBatch, DecodedBatch]:
    """(ordinary messages, replayed rejects) of one topic's batch."""
    keys = genuine.select(SOURCE)

    def part(frame: pl.DataFrame, how: str) -> pl.DataFrame:
        return frame.join(keys, on=SOURCE, how=how)  # type: ignore[arg-type]

    return (
        DecodedBatch(part(batch.accepted, "anti"), part(batch.rejects, "anti")),
        DecodedBatch(part(batch.accepted, "semi"), part(batch.rejects, "semi")),
    )


def _frame(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, object] | None = None) -> pl.DataFrame:
    """A query's whole result as a Polars frame, through Arrow."""
    return pl.DataFrame(pl.from_arrow(con.sql(sql, params=params).to_arrow_table()))
