"""Attaching a lake (a `Lake` location of streams.config) to a DuckDB session, and the names it has there."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import duckdb

from streams.config import Lake, without_password
from streams.errors import LakeUnavailableError
from streams.lake.extensions import load_extensions
from streams.store import literal

EVENT_TABLES = ("declarations", "revenue", "seizures")
REFERENCE_TABLES = ("departments", "targets", "plan_curves")
# Tables the lake holds, with the store's columns: events and rejects grow by publication; the
# revenue aggregate by local day is re-written for the days a publication touched; reference
# tables are replaced when they differ.
LAKE_TABLES = (*EVENT_TABLES, "rejects", "agg_revenue_day", *REFERENCE_TABLES)
ALIAS = "lake"


def attach(
    con: duckdb.DuckDBPyConnection,
    lake: Lake,
    *,
    read_only: bool,
    version: int | None = None,
    at: datetime | None = None,
    catalog_timeout_s: float | None = None,
) -> None:
    """Attach the lake as `lake` (creating it if it is new and writable). `catalog_timeout_s`
    bounds every statement the session runs on a PostgreSQL catalog's server (its
    statement_timeout), unless the setting gives libpq `options` of its own."""
    load_extensions(con, *lake.extensions)
    catalog = lake.catalog
    if catalog_timeout_s is not None and lake.kind == "postgres" and not re.search(r"\boptions\s*=", catalog, re.IGNORECASE):
        catalog += f" options='-c statement_timeout={max(1, round(catalog_timeout_s * 1000))}'"
    options = ["READ_ONLY"] if read_only else [f"DATA_PATH {literal(lake.data_path)}"]
    if version is not None:
        options.append(f"SNAPSHOT_VERSION {int(version)}")
    if at is not None:
        options.append(f"SNAPSHOT_TIME {literal(at.isoformat())}")
    if not read_only and lake.sqlite_file is not None:
        lake.sqlite_file.parent.mkdir(parents=True, exist_ok=True)
    if not read_only and "://" not in lake.data_path:
        Path(lake.data_path).mkdir(parents=True, exist_ok=True)
    try:
        con.execute(f"ATTACH {literal('ducklake:' + catalog)} AS {ALIAS} ({', '.join(options)})")
    except duckdb.IOException as exc:  # the catalog's server or file, or the data path: a clear error, not a traceback
        detail = str(exc).splitlines()[0]
        raise LakeUnavailableError(lake.describe(), without_password(detail)) from exc
