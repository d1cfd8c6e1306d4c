"""One portable DuckDB file of the analysts' data (`customs-kpi snapshot --to FILE`), for someone
who wants a single file to carry away: the lake's latest snapshot (or the database itself, when no
lake has been published and no consumer holds it), its tables and the curated views and macros."""

from __future__ import annotations

from pathlib import Path

import duckdb

from streams.config import Lake
from streams.errors import ConfigError
from streams.lake import ALIAS, LAKE_TABLES, attach
from streams.read.sandbox import open_sandbox
from streams.store import apply_views, literal, relation, scalar


def write_portable(db: Path, lake: Lake, target: Path) -> int:
    """Write `target` (which must not exist); returns the events it holds."""
    if target.exists():
        raise ConfigError("to", str(target), "a file that does not exist yet")
    probe, source = open_sandbox(db, lake)
    probe.close()
    con = duckdb.connect(":memory:")
    try:
        if source.live:
            con.execute(f"ATTACH {literal(db)} AS {ALIAS} (READ_ONLY)")
        else:
            attach(con, lake, read_only=True, version=source.version)
        con.execute(f"ATTACH {literal(target)} AS portable")
        for table in LAKE_TABLES:
            con.execute(f"CREATE TABLE portable.{relation(table)} AS SELECT * FROM {ALIAS}.{relation(table)}")
        con.execute(
            "CREATE TABLE portable.snapshot_info AS "
            "SELECT CAST($taken AS TIMESTAMPTZ) AS taken_at, CAST($version AS BIGINT) AS lake_version",
            {"taken": source.taken_at, "version": source.version},
        )
        con.execute("USE portable")
        apply_views(con)
        events = scalar(
            con, "SELECT (SELECT count(*) FROM declarations) + (SELECT count(*) FROM revenue) + (SELECT count(*) FROM seizures)"
        )
    except BaseException:
        con.close()
        target.unlink(missing_ok=True)
        raise
    con.close()
    return int(events)
