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
from pathlib import Path

import duckdb

from streams.config import Lake
from streams.lake import ALIAS, EVENT_TABLES, LakeWriter, Publication, attach, mirror, read_watermark
from streams.store import aggregates, statement

# The exact sum each event table is compared by (none for declarations: they carry no amount).
AMOUNTS = {
    "declarations": "CAST(0 AS HUGEINT)",
    "revenue": "coalesce(sum(CAST(amount_vnd AS HUGEINT)), 0)",
    "seizures": "coalesce(sum(CAST(goods_value_vnd AS HUGEINT)), 0)",
}


@dataclass(frozen=True)
class Difference:
    check: str  # offsets, broker, aggregates, lake or published
    where: str  # the table, partition or group that differs
    detail: str  # both sides' figures


def offsets(con: duckdb.DuckDBPyConnection) -> list[Difference]:
    """Source positions recorded twice, or at or past the committed next offset."""
    rows = con.execute(statement("verify/offsets")).fetchall()
    return [Difference("offsets", f"{topic}[{partition}]", detail) for topic, partition, detail in rows]


def broker(con: duckdb.DuckDBPyConnection, logs: Mapping[tuple[str, int], tuple[int, str | None]]) -> list[Difference]:
    """The stored offsets against the broker's logs now: `logs` maps each partition to (its end
    offset, its topic's id), as streams.kafka.topics.partition_logs gives them."""
    found = []
    for topic, partition, next_offset, topic_id in con.execute(statement("verify/stored_offsets")).fetchall():
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
        sql = statement("verify/lake_events", table=table, alias=ALIAS, amount=AMOUNTS[table])
        for department, day, detail in con.execute(sql, upto).fetchall():
            found.append(Difference("lake", f"{table} {department} {day}", detail))
    for topic, reason, detail in con.execute(statement("verify/lake_rejects", alias=ALIAS), upto).fetchall():
        found.append(Difference("lake", f"rejects {topic} {reason}", detail))
    audit = statement(
        "aggregates/audit", table=f"{ALIAS}.agg_revenue_day", contribution=aggregates.contribution("agg_revenue_day", f"{ALIAS}.")
    )
    (differing,), *_ = con.execute(f"SELECT count(*) FROM ({audit})").fetchall()
    if differing:
        found.append(Difference("lake", "agg_revenue_day", f"{differing} rows differ from their recomputation from the lake's revenue"))
    return found


def published(con: duckdb.DuckDBPyConnection, after: int, upto: int) -> list[Difference]:
    """The lake's rows of batches after..upto (one publication's) against the store's."""
    rows = con.execute(statement("verify/published", alias=ALIAS), {"after": after, "upto": upto}).fetchall()
    return [Difference("published", table, detail) for table, detail in rows]


def after_publication(writer: LakeWriter, done: Publication) -> list[Difference]:
    """`published` for the publication the writer just made, on its connection."""
    return readable(writer.connection, lambda con: published(con, done.after, done.batch_seq))


def scheduled(writer: LakeWriter, check: str) -> list[Difference]:
    """One of SCHEDULED on the lake writer's connection (the store's, with the lake attached)."""
    return SCHEDULED[check](writer.connection)


def totals(con: duckdb.DuckDBPyConnection) -> list[tuple[str, int, int, int, int]]:
    """Per topic: (topic, events, duplicates, rejects, committed next offsets summed), for the summary."""
    return [(str(t), int(e), int(d), int(r), int(o)) for t, e, d, r, o in con.execute(statement("verify/totals")).fetchall()]


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
    totals: list[tuple[str, int, int, int, int]]
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
                (version,), *_ = con.execute(f"SELECT * FROM ducklake_current_snapshot('{ALIAS}')").fetchall()
                found += SCHEDULED["lake"](con)
                checked.append("lake")
                watermark = read_watermark(con)
                held = None if watermark is None else watermark[0]
            (stored,), *_ = con.execute("SELECT batch_seq FROM store_state").fetchall()
            return Verification(tuple(checked), found, totals(con), None if version is None else int(version), held, int(stored))
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
