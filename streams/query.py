"""Analysts' read-only questions: one SQL statement, a ready query of sql/queries, a table to export.

Each takes an open sandbox (streams.read.reading) and returns data; the CLI prints it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from streams.errors import ConfigError
from streams.kpi.clock import FIRST_DAY, LAST_DAY, VIETNAM
from streams.read import Connection, QueryResult, Source, run_query
from streams.store import sql_dir, statement

FORMATS = ("table", "csv", "json", "parquet")


def freshness(source: Source, now: datetime | None = None) -> str:
    """Where the data was read and how old it is, in words."""
    if source.live:
        return f"read {source.path} directly (no consumer is writing it): data is current"
    if source.taken_at is None:
        return f"read the lake {source.path} at version {source.version} (no publication in it)"
    age = ((now or datetime.now(UTC)) - source.taken_at).total_seconds()
    return (
        f"read the lake {source.path} at version {source.version}, "
        f"published {source.taken_at.isoformat(timespec='seconds')} ({age:.0f} s ago)"
    )


def check_format(fmt: str, output: Path | None) -> None:
    """A known --format, with an --output where the format needs one (and none for a terminal table)."""
    if fmt not in FORMATS:
        raise ConfigError("format", fmt, f"one of {', '.join(FORMATS)}")
    if fmt == "table" and output is not None:
        raise ConfigError("output", str(output), "no --output with --format table (use csv, json or parquet)")
    if fmt == "parquet" and output is None:
        raise ConfigError("output", None, "a file path: Parquet is binary")


def check_flat(frame: pl.DataFrame, setting: str) -> None:
    """CSV holds flat values: a list, struct or other nested column is a clear error, not a traceback."""
    nested = [name for name, dtype in frame.schema.items() if dtype.is_nested() or dtype == pl.Object]
    if nested:
        raise ConfigError(setting, "csv", f"json or parquet: column(s) {', '.join(nested)} hold nested values that CSV cannot")


def queries_dir() -> Path:
    return sql_dir() / "queries"


def ready_queries() -> list[str]:
    return sorted(p.stem for p in queries_dir().glob("*.sql"))


def check_ready_query(name: str) -> None:
    if name not in ready_queries():
        raise ConfigError("name", name, f"one of {', '.join(ready_queries())}")


def latest_event(con: Connection, source: Source) -> datetime | None:
    """The latest event's time in the data; None in an empty one."""
    clock = statement("metrics/event_clock" if source.live else "lake/read/event_clock")
    when: datetime | None = run_query(con, source, clock).frame.item()
    return when


def event_clock(con: Connection, source: Source) -> datetime:
    """The latest event's time in the data (the default as_of of a ready query)."""
    when = latest_event(con, source)
    if when is None:
        raise ConfigError("as_of", None, "a timestamp; the database has no events to take the time from")
    return when


def ready_query(con: Connection, source: Source, name: str, as_of: datetime, max_rows: int, timeout_s: float) -> QueryResult:
    """sql/queries/NAME.sql with $as_of."""
    check_ready_query(name)
    sql = (queries_dir() / f"{name}.sql").read_text("utf-8")
    return run_query(con, source, sql, max_rows=max_rows, timeout_s=timeout_s, params={"as_of": as_of})


def parse_as_of(text: str, now: datetime | None = None) -> datetime:
    """now, or an ISO timestamp (Vietnam time unless it says otherwise)."""
    if text == "now":
        return now or datetime.now(UTC)
    try:
        t = datetime.fromisoformat(text)
    except ValueError as exc:
        raise ConfigError("as_of", text, "now or an ISO timestamp such as 2021-06-30T17:00:00+07:00") from exc
    t = t if t.tzinfo else t.replace(tzinfo=VIETNAM)
    if not FIRST_DAY <= t.date() <= LAST_DAY:
        raise ConfigError("as_of", text, f"now or a time from {FIRST_DAY} (the contract's first day) to {LAST_DAY}")
    return t


def export_frame(con: Connection, source: Source, name: str, max_rows: int) -> pl.DataFrame:
    """Every row of one table or view; more than max_rows is a refusal, not a cut."""
    listing = "SELECT table_name FROM duckdb_tables() UNION SELECT view_name FROM duckdb_views() WHERE NOT internal"
    known = set(run_query(con, source, listing, max_rows=10_000).frame.to_series().to_list())
    if name not in known:
        raise ConfigError("name", name, f"a table or view: {', '.join(sorted(known))}")
    result = run_query(con, source, f'SELECT * FROM "{name}"', max_rows=max_rows, timeout_s=600, max_bytes=None)
    if result.truncated:
        raise ConfigError("max_rows", max_rows, f"at least the number of rows in {name}")
    return result.frame


def csv_text(frame: pl.DataFrame) -> str:
    """The frame as CSV, times in RFC 3339 as the contract writes them (2021-01-01T00:44:53+00:00; Polars'
    own CSV writes +0000, which the contract refuses), so that a file the product writes it reads back.
    Bytes (a reject's raw_value and message_key) are written in base64: CSV holds text, and a reject's
    bytes are often not UTF-8; base64 keeps every byte."""
    texts = [
        pl.col(name).dt.to_string("%Y-%m-%dT%H:%M:%S%.f" + ("%:z" if dtype.time_zone else ""))
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime)
    ] + [pl.col(name).bin.encode("base64") for name, dtype in frame.schema.items() if dtype == pl.Binary]
    return (frame.with_columns(texts) if texts else frame).write_csv()


def write_frame(frame: pl.DataFrame, output: Path) -> None:
    """Parquet, or CSV by the file's ending."""
    if output.suffix.lower() == ".csv":
        check_flat(frame, "output")
        output.write_text(csv_text(frame), encoding="utf-8")
    else:
        frame.write_parquet(output)
