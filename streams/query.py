"""`customs-kpi sql` and `customs-kpi export`: analysts' read-only access, from the CLI."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
from rich.console import Console
from rich.table import Table

from streams.errors import ConfigError
from streams.kpi.clock import VIETNAM
from streams.store.lake import Lake
from streams.store.sandbox import QueryResult, Source, open_sandbox, run_query
from streams.store.schema import sql_dir
from streams.store.sqlfiles import statement

FORMATS = ("table", "csv", "json", "parquet")


def freshness(source: Source, now: datetime | None = None) -> str:
    if source.live:
        return f"read {source.path} directly (no consumer is writing it): data is current"
    if source.taken_at is None:
        return f"read the lake {source.path} at version {source.version} (no publication in it)"
    age = ((now or datetime.now(UTC)) - source.taken_at).total_seconds()
    return (
        f"read the lake {source.path} at version {source.version}, "
        f"published {source.taken_at.isoformat(timespec='seconds')} ({age:.0f} s ago)"
    )


def write_result(result: QueryResult, fmt: str, output: Path | None) -> None:
    frame = result.frame
    if fmt == "table":
        if output is not None:
            raise ConfigError("--output", str(output), "no --output with --format table (use csv, json or parquet)")
        table = Table(*frame.columns, show_lines=False)
        for row in frame.iter_rows():
            table.add_row(*("" if v is None else str(v) for v in row))
        Console(width=max(100, Console().width)).print(table)
        return
    if fmt == "parquet":
        if output is None:
            raise ConfigError("--output", None, "a file path: Parquet is binary")
        frame.write_parquet(output)
    elif fmt == "csv":
        _check_flat(frame, "--format")
        _emit(frame.write_csv(), output)
    elif fmt == "json":
        _emit(frame.write_ndjson(), output)
    else:
        raise ConfigError("--format", fmt, f"one of {', '.join(FORMATS)}")


def _check_flat(frame: pl.DataFrame, setting: str) -> None:
    """CSV holds flat values: a list, struct or other nested column is a clear error, not a traceback."""
    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested() or dtype == pl.Object]
    if nested:
        raise ConfigError(setting, "csv", f"json or parquet: column(s) {', '.join(nested)} hold nested values that CSV cannot")


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def sql_command(
    db: Path,
    query: str | None,
    fmt: str,
    output: Path | None,
    max_rows: int,
    timeout_s: float,
    lake: Lake | None = None,
    version: int | None = None,
    at: datetime | None = None,
) -> None:
    """Run one query, or read queries from the terminal until an empty line or end of input; with
    version or at, on the lake as it was then (time travel)."""
    if fmt not in FORMATS:
        raise ConfigError("--format", fmt, f"one of {', '.join(FORMATS)}")
    con, source = open_sandbox(db, lake, version=version, at=at)
    err = Console(stderr=True, soft_wrap=True)
    try:
        err.print(freshness(source))
        if query is not None:
            _one(con, source, query, fmt, output, max_rows, timeout_s, err)
            return
        while True:
            try:
                line = input("sql> ").strip()
            except EOFError:
                return
            if not line:
                return
            try:
                _one(con, source, line, fmt, None, max_rows, timeout_s, err)
            except Exception as exc:
                err.print(f"error: {exc}")
    finally:
        con.close()


def _one(con, source, query, fmt, output, max_rows, timeout_s, err) -> None:  # type: ignore[no-untyped-def]
    result = run_query(con, source, query, max_rows=max_rows, timeout_s=timeout_s)
    write_result(result, fmt, output)
    if result.truncated:
        err.print(f"only the first {max_rows} rows are shown (--max-rows)")


def queries_dir() -> Path:
    return sql_dir() / "queries"


def ready_queries() -> list[str]:
    return sorted(p.stem for p in queries_dir().glob("*.sql"))


def query_command(
    db: Path, name: str, as_of: str | None, fmt: str, output: Path | None, max_rows: int, timeout_s: float, lake: Lake | None = None
) -> None:
    """Run one of sql/queries/NAME.sql with $as_of (default: the latest event in the data)."""
    if name not in ready_queries():
        raise ConfigError("NAME", name, f"one of {', '.join(ready_queries())}")
    con, source = open_sandbox(db, lake)
    err = Console(stderr=True, soft_wrap=True)
    try:
        clock = statement("metrics/event_clock" if source.live else "lake/read/event_clock")
        when = _as_of(as_of) if as_of else run_query(con, source, clock).frame.item()
        if when is None:
            raise ConfigError("--as-of", as_of, "a timestamp; the database has no events to take the time from")
        err.print(f"{freshness(source)}; as_of {when.isoformat()}")
        sql = (queries_dir() / f"{name}.sql").read_text("utf-8")
        result = run_query(con, source, sql, max_rows=max_rows, timeout_s=timeout_s, params={"as_of": when})
        write_result(result, fmt, output)
    finally:
        con.close()


def _as_of(text: str) -> datetime:
    if text == "now":
        return datetime.now(UTC)
    try:
        t = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError("--as-of", text, "now or an ISO timestamp such as 2021-06-30T17:00:00+07:00") from exc
    return t if t.tzinfo else t.replace(tzinfo=VIETNAM)


def export_command(db: Path, name: str, output: Path, max_rows: int, lake: Lake | None = None) -> int:
    """Write one table or view to Parquet (or CSV by the file's ending); returns the rows written."""
    con, source = open_sandbox(db, lake)
    try:
        listing = "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views() WHERE NOT internal"
        known = set(run_query(con, source, listing, max_rows=10_000).frame.to_series().to_list())
        if name not in known:
            raise ConfigError("NAME", name, f"a table or view: {', '.join(sorted(known))}")
        result = run_query(con, source, f'SELECT * FROM "{name}"', max_rows=max_rows, timeout_s=600, max_bytes=None)
    finally:
        con.close()
    if result.truncated:
        raise ConfigError("--max-rows", max_rows, f"at least the number of rows in {name}")
    if output.suffix.lower() == ".csv":
        _check_flat(result.frame, "--output")
        result.frame.write_csv(output)
    else:
        result.frame.write_parquet(output)
    return result.frame.height
