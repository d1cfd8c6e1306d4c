"""Running one analyst's statement on an open sandbox (sandbox.py): checked first (guard.py), then
bounded in time, rows and bytes, its result handed over as a Polars frame."""

from __future__ import annotations

import contextlib
import re
import threading
import time
from dataclasses import dataclass

import duckdb
import polars as pl
import pyarrow as pa

from streams.errors import ConfigError, QueryRefused
from streams.read.guard import check_statement
from streams.read.sandbox import Source
from streams.store import scalar, view_files

MAX_RESULT_BYTES = 256 * 2**20  # what one query may hand to Python by default (Arrow bytes)


@dataclass(frozen=True)
class QueryResult:
    frame: pl.DataFrame
    truncated: bool
    source: Source


def _upgrade_hint(con: duckdb.DuckDBPyConnection) -> str:
    """Say so when the file predates the views (they are created by the consumer, which writes)."""
    try:
        views = scalar(con, "SELECT count(*) FROM duckdb_views() WHERE NOT internal")
    except duckdb.Error:
        return ""
    if views < _VIEWS:
        return " (this database has no curated views yet: run `customs-kpi consume` on it once to create them)"
    return ""


# The curated views the files of sql/views create (the others create macros only: 7 of 20 files).
_VIEWS = sum(bool(re.search(r"CREATE\s+(OR\s+REPLACE\s+)?(TEMP\s+|TEMPORARY\s+)?VIEW", f.read_text(), re.I)) for f in view_files())


def run_query(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    sql: str,
    *,
    max_rows: int = 10_000,
    timeout_s: float = 30.0,
    params: dict[str, object] | None = None,
    max_bytes: int | None = MAX_RESULT_BYTES,
) -> QueryResult:
    """Run one checked statement; at most max_rows rows and max_bytes (Arrow) are returned, all within timeout_s."""
    if max_rows < 1:
        raise ConfigError("max_rows", max_rows, "a whole number of rows, at least 1")
    if timeout_s <= 0:
        raise ConfigError("timeout", timeout_s, "seconds, more than 0")
    check_statement(sql)
    deadline = time.monotonic() + timeout_s
    timer = threading.Timer(timeout_s, con.interrupt)
    timer.start()
    try:
        reader = con.sql(sql, params=params or None).to_arrow_reader(batch_size=min(max_rows + 1, 100_000))
        batches, rows, size = [], 0, 0
        for batch in reader:
            batches.append(batch)
            rows += batch.num_rows
            size += batch.nbytes
            if max_bytes is not None and size > max_bytes:
                raise QueryRefused(
                    f"the result is over {max_bytes / 2**20:.0f} MB: select fewer columns or rows, "
                    "or write a table to Parquet with `customs-kpi export`"
                )
            if rows > max_rows:
                break
    except duckdb.InterruptException as exc:
        raise QueryRefused(f"the query ran longer than the {timeout_s:g} s limit and was stopped") from exc
    except duckdb.PermissionException as exc:
        raise QueryRefused(f"not allowed: {str(exc).splitlines()[0]} (files, network and extensions are off)") from exc
    except duckdb.CatalogException as exc:
        raise QueryRefused(f"the query failed: {str(exc).splitlines()[0]}{_upgrade_hint(con)}") from exc
    except duckdb.Error as exc:
        raise QueryRefused(f"the query failed: {str(exc).splitlines()[0]}") from exc
    finally:
        timer.cancel()
    table = pa.Table.from_batches(batches, schema=reader.schema) if batches else reader.schema.empty_table()
    frame = _whole_numbers(pl.DataFrame(pl.from_arrow(table)))
    if time.monotonic() > deadline:  # the conversion counts too
        raise QueryRefused(f"the query ran longer than the {timeout_s:g} s limit (with its result's conversion) and was stopped")
    return QueryResult(frame.head(max_rows), frame.height > max_rows, source)


def _whole_numbers(frame: pl.DataFrame) -> pl.DataFrame:
    """HUGEINT money sums (exact, never overflowing in DuckDB) arrive as Decimal(38, 0); give them to
    analysts as 64-bit integers, as numbers in JSON, unless a value does not fit."""
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Decimal) and dtype.scale == 0:
            with contextlib.suppress(pl.exceptions.InvalidOperationError):
                frame = frame.with_columns(pl.col(name).cast(pl.Int64))
    return frame
