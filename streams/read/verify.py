"""The product's own invariants, checked on a user's data: `customs-kpi verify` and the consumer.

- offsets: each Kafka record the store took is in exactly one of the event tables, `duplicates`
  and `rejects`, and none lies at or past its partition's committed next offset;
- broker (with a broker to ask): no stored next offset lies past the end of its partition's log,
  and each partition's topic id is the one stored with its offset;
- aggregates: every aggregate table equals its recomputation from the rows (aggregates.audit);
- lake: the lake holds exactly the store's rows up to the batch its newest publication names
  (counts and exact sums per table, department and local day; rejects per topic and reason), and
  the lake's revenue aggregate equals its recomputation from the lake's rows;
- published: the rows one publication appended equal the store's rows of the same batches.

`published` reads only what one publication wrote (both sides filter on batch_seq: DuckDB skips
row groups and DuckLake Parquet files by their min/max), so the consumer runs it after every
publication. The others scan their tables (seconds to a minute at the design volume; figures in
docs/BENCHMARKS.md): the consumer runs them on its upkeep schedule, an operator with `verify`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb

from streams.config import Lake
from streams.lake import ALIAS, EVENT_TABLES, LakeWriter, Publication, attach, current_version, mirror, read_watermark
from streams.store import aggregates, rows, scalar, statement

# The amount each event table's rows are summed by, exactly (none for declarations: they carry none).
AMOUNTS = {"declarations": "0", "revenue": "amount_vnd", "seizures": "goods_value_vnd"}


@dataclass(frozen=True)
class Difference:
    check: str  # offsets, broker, aggregates, lake or published
    where: str  # the table, partition or group that differs
    detail: str  # both sides' figures


@dataclass(frozen=True)
class _PartitionDetail:
    topic: str
    partition: int
    detail: str


@dataclass(frozen=True)
class _StoredOffset:
    topic: str
    partition: int
    next_offset: int
    topic_id: str | None


@dataclass(frozen=True)
class _DayDetail:
    department_code: str
    day: date
    detail: str


@dataclass(frozen=True)
class _ReasonDetail:
    topic: str
    reason: str
    detail: str


@dataclass(frozen=True)
class _TableDetail:
    tbl: str
    detail: str


@dataclass(frozen=True)
class TopicTotals:
    """One topic's records in the store, and the committed next offsets of its partitions summed."""

    topic: str
    events: int
    duplicates: int
    rejects: int
    next_offsets: int


def offsets(con: duckdb.DuckDBPyConnection) -> list[Difference]:
    """Source positions recorded twice, or at or past the committed next offset."""
    return [Difference("offsets", f"{r.topic}[{r.partition}]", r.detail) for r in rows(con, "verify/offsets", _PartitionDetail)]


def broker(con: duckdb.DuckDBPyConnection, logs: Mapping[tuple[str, int], tuple[int, str | None]]) -> list[Difference]:
    """The stored offsets against the broker's logs now: `logs` maps each partition to (its end
    offset, its topic's id), as streams.kafka.topics.partition_logs gives them."""
    found = []
    for stored in rows(con, "verify/stored_offsets", _StoredOffset):
        topic, partition, next_offset, topic_id = stored.topic, stored.partition, stored.next_offset, stored.topic_id
        where = f"{topic}[{partition}]"
        if (topic, partition) not in logs:
            found.append(Difference("broker", where, f"the store holds offset {next_offset}; the broker has no such partition"))
            continue
        end, live_id = logs[(topic, partition)]
        if next_offset > end:
            found.append(Difference("broker", where, f"the store holds offset {next_offset}, past the log's end {end}"))
        if topic_id is not None and live_id is not None and topic_id != live_id:
            found.append(Difference("broker", where, f"the store's offset belongs to topic id {topic_id}; the topic now has id {live_id}"))
    return found


def aggregate_tables(con: duckdb.DuckDBPyConnection) -> list[Difference]:
    return [
        Difference("aggregates", name, f"{rows.height} rows differ from their recomputation from the stored rows")
        for name, rows in aggregates.audit(con).items()
        if rows.height
    ]


def lake(con: duckdb.DuckDBPyConnection) -> list[Difference]:
    """The attached lake (as `lake`) against the store's rows up to the lake's watermark."""
    found_mirror = mirror(con)
    watermark = found_mirror.watermark
    if watermark is None:
        return []
    if found_mirror.other_store:  # row by row, everything would differ: say why instead
        detail = f"the lake's publications come from store {found_mirror.mirrored}, and this is store {found_mirror.store_id}"
        return [Difference("lake", "store", detail)]
    if found_mirror.older_copy:
        detail = (
            f"the lake holds batches up to {watermark[0]}, the store only up to {found_mirror.store_batch} (restored from an older copy?)"
        )
        return [Difference("lake", "store", detail)]
    upto = {"upto": watermark[0]}
    found = []
    for table in EVENT_TABLES:
        for d in rows(con, "verify/lake_events", _DayDetail, upto, table=table, alias=ALIAS, amount=AMOUNTS[table]):
            found.append(Difference("lake", f"{table} {d.department_code} {d.day}", d.detail))
    for r in rows(con, "verify/lake_rejects", _ReasonDetail, upto, alias=ALIAS):
        found.append(Difference("lake", f"rejects {r.topic} {r.reason}", r.detail))
    audit = statement(
        "aggregates/audit", table=f"{ALIAS}.agg_revenue_day", contribution=aggregates.contribution("agg_revenue_day", f"{ALIAS}.")
    )
    differing = scalar(con, f"SELECT count(*) FROM ({audit})")
    if differing:
        found.append(Difference("lake", "agg_revenue_day", f"{differing} rows differ from their recomputation from the lake's revenue"))
    return found


def published(con: duckdb.DuckDBPyConnection, after: int, upto: int, version: int) -> list[Difference]:
    """The rows the lake's snapshot `version` inserted (one publication's) against the store's of batches after..upto."""
    found = rows(con, "verify/published", _TableDetail, {"after": after, "upto": upto, "version": version}, alias=ALIAS)
    return [Difference("published", t.tbl, t.detail) for t in found]


def after_publication(writer: LakeWriter, done: Publication) -> list[Difference]:
    """`published` for the publication the writer just made, on its connection (a takeover's rows
    are not the store's batches after a point: the scheduled `lake` check covers them)."""
    if done.takeover:
        return []
    return readable(writer.connection, lambda con: published(con, done.after, done.batch_seq, done.version))


def scheduled(writer: LakeWriter, check: str) -> list[Difference]:
    """One of SCHEDULED on the lake writer's connection (the store's, with the lake attached)."""
    return SCHEDULED[check](writer.connection)


def totals(con: duckdb.DuckDBPyConnection) -> list[TopicTotals]:
    """Per topic: its records in the store and its committed next offsets summed, for the summary."""
    return rows(con, "verify/totals", TopicTotals)


# The checks the consumer runs on its upkeep schedule (the broker's side it watches batch by batch).
SCHEDULED: dict[str, Callable[[duckdb.DuckDBPyConnection], list[Difference]]] = {
    "offsets": offsets,
    "aggregates": aggregate_tables,
    "lake": lambda con: readable(con, lake),
}


@dataclass(frozen=True)
class Verification:
    checked: tuple[str, ...]  # the checks run, in the order above
    differences: list[Difference]
    totals: list[TopicTotals]
    lake_version: int | None  # the lake snapshot compared (None: no lake)
    lake_batch: int | None  # the store's last batch the lake holds (None: no lake, or nothing published)
    store_batch: int  # the store's last batch


def verify_store(
    db: Path, lake_setting: Lake | None, logs: Mapping[tuple[str, int], tuple[int, str | None]] | None, *, lake_required: bool = False
) -> Verification:
    """Every check on a stopped consumer's store (opened read-only), its lake at its newest version
    (if it has one; with lake_required, a missing lake is an error) and, given `logs`, the broker's
    partitions. A store that cannot be opened or read is a ConfigError naming --db; a lake whose
    files cannot be read is a difference."""
    from streams.errors import ConfigError
    from streams.store import open_store

    if not db.is_file():
        raise ConfigError("db", str(db), "an existing store: the consumer's DuckDB file")
    if lake_required and lake_setting is not None and not lake_setting.exists():
        raise ConfigError("lake", lake_setting.describe(), "an existing lake (the consumer creates it at its first publication)")
    try:
        store = open_store(db, read_only=True)
    except duckdb.Error as exc:
        raise ConfigError("db", str(db), f"a DuckDB file of this project ({str(exc).splitlines()[0]})") from exc
    try:
        with store.reader() as con:
            _check_schema(con, db)
            found = offsets(con)
            checked = ["offsets"]
            if logs is not None:
                found += broker(con, logs)
                checked.append("broker")
            found += aggregate_tables(con)
            checked.append("aggregates")
            version, held = None, None
            if lake_setting is not None and lake_setting.exists():
                attach(con, lake_setting, read_only=True)
                version = current_version(con)
                found += SCHEDULED["lake"](con)
                checked.append("lake")
                watermark = read_watermark(con)
                held = None if watermark is None else watermark[0]
            stored = int(scalar(con, "SELECT batch_seq FROM store_state"))
            return Verification(tuple(checked), found, totals(con), version, held, stored)
    finally:
        store.close()


def readable(con: duckdb.DuckDBPyConnection, check: Callable[[duckdb.DuckDBPyConnection], list[Difference]]) -> list[Difference]:
    """A lake check whose lake cannot be read (a data file missing or damaged, its catalog broken) is
    itself a difference: what the analysts read cannot be the store's rows."""
    try:
        return check(con)
    except duckdb.Error as exc:
        return [Difference("lake", "files", f"the lake cannot be read: {str(exc).splitlines()[0]}")]


def _check_schema(con: duckdb.DuckDBPyConnection, db: Path) -> None:
    """verify reads the store as it is (read-only, no migration): it must be at this release's schema."""
    from streams.errors import ConfigError, SchemaTooNewError
    from streams.store import migrations, schema_version

    found, known = schema_version(con), max(version for version, _ in migrations())
    if found > known:
        raise SchemaTooNewError(found, known)
    if found < known:
        raise ConfigError(
            "db",
            str(db),
            f"a store at this release's schema version {known} (it is at {found}; verify only reads it: "
            "the consumer, or `customs-kpi aggregates rebuild`, migrates it when it next opens it)",
        )
