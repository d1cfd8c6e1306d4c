"""Run analysts' SQL read-only: no files, no network, no extensions, no settings, no writes, bounded.

Analysts read the lake the consumer publishes to (streams/lake/), attached read-only with
the curated views and macros created in the session; where no lake has been published, the
database file itself, if no consumer holds it. Three layers: the data is opened read-only; DuckDB's own switches turn off file and network
access, extension loading and (after opening) any further configuration; and only SELECT-like
statements are let through, one at a time, with a time limit, a row limit and a size limit.
Resources are bounded too: DuckDB's memory (a quarter of the machine's, at most 4 GB, unless
given), its spill files (a folder of this process's own, at most 8 GB, removed at exit), and the
result a query may hand to Python (256 MB by default).
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

from streams.config import Lake
from streams.errors import QueryRefused
from streams.kpi.clock import VIETNAM
from streams.lake import ALIAS, current_version, extension_file
from streams.lake import attach as attach_lake
from streams.retry import RetryPolicy
from streams.store import apply_views, in_use, newer_format, newer_format_error, scalar, view_files, view_sql

MAX_TEMP = "8GB"  # spill files of one sandbox process, at most
SANDBOX_CONFIG = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
}


@dataclass(frozen=True)
class Source:
    path: str  # the database file, or the lake (its catalog and data path)
    live: bool  # the database itself (no consumer running) rather than the lake
    taken_at: datetime | None  # when the lake's publication read was made; None for the live database
    version: int | None = None  # the lake's snapshot read


def default_memory_limit() -> str:
    """A quarter of the machine's memory, at most 4 GB: one query cannot take the machine (DuckDB's own default is 80%)."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{max(256, min(4096, total // 4 // 2**20))}MiB"


_temp_dir: str | None = None


def _spill_dir() -> str:
    """This process's own folder for DuckDB's spill files, removed at exit."""
    global _temp_dir
    if _temp_dir is None:
        _temp_dir = tempfile.mkdtemp(prefix="customs-kpi-sql-")
        atexit.register(shutil.rmtree, _temp_dir, True)
    return _temp_dir


def _config(memory_limit: str | None) -> dict[str, str | bool | int | float | list[str]]:
    config: dict[str, str | bool | int | float | list[str]] = {
        key: value for key, value in SANDBOX_CONFIG.items() if key != "enable_external_access"
    }
    config["memory_limit"] = memory_limit or default_memory_limit()  # large aggregations spill to disk beyond it
    config["temp_directory"] = _spill_dir()
    config["max_temp_directory_size"] = MAX_TEMP
    return config


def _lock(con: duckdb.DuckDBPyConnection, folders: list[str], files: list[str]) -> None:
    """Files and network off (but for the lake's `folders` and `files`), then no more settings."""
    if folders:
        con.execute("SET allowed_directories = $folders", {"folders": folders})
    if files:
        con.execute("SET allowed_paths = $files", {"files": files})
    con.execute("SET enable_external_access = false")
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET lock_configuration = true")


def _connect(path: Path, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path), read_only=True, config=_config(memory_limit))
    _lock(con, [], [])
    return con


# Every statement a reader's session runs on a PostgreSQL catalog's server stops there after this
# long: the catalog answers metadata in milliseconds, and no reader's SQL reaches the server itself.
CATALOG_TIMEOUT_S = 60.0


def open_lake(
    lake: Lake,
    memory_limit: str | None = None,
    *,
    version: int | None = None,
    at: datetime | None = None,
    catalog_timeout_s: float = CATALOG_TIMEOUT_S,
) -> tuple[duckdb.DuckDBPyConnection, Source] | None:
    """The lake attached read-only (at a snapshot `version` or time `at`, for time travel) as the
    session's default database, with the curated views and macros as temporary ones; None if the
    lake holds no publication yet.

    Without a version or time, the lake's newest snapshot is found first and attached as that
    version: every query of the session (a briefing's dozen) reads the one publication its Source
    names, even when the consumer publishes meanwhile."""
    asked = f"version {version}" if version is not None else (f"time {at.isoformat()}" if at is not None else None)
    if version is None and at is None:
        version = _newest_snapshot(lake)
        if version is None:
            return None
    con = duckdb.connect(":memory:", config=_config(memory_limit))
    try:
        try:
            attach_lake(con, lake, read_only=True, version=version, at=at, catalog_timeout_s=catalog_timeout_s)
        except duckdb.InvalidInputException as exc:
            if version is None and at is None:
                raise
            span = _published_span(lake) if at is not None else ""
            raise QueryRefused(f"the lake has no snapshot at {asked}: {str(exc).splitlines()[0]}{span}") from exc
        con.execute(f"USE {ALIAS}")
        try:
            published = scalar(con, "SELECT max(published_at) FROM lake_publications")
        except duckdb.CatalogException:  # attached, but the consumer has not created its tables yet
            published = None
        if published is None:
            con.close()
            if asked is not None:  # a snapshot of the lake's catalog from before its first publication
                raise QueryRefused(
                    f"the lake's {asked} comes before its first publication: nothing was published in it yet. "
                    f"Ask for a later version (the newest is {_newest_snapshot(lake)})"
                )
            return None
        snapshot = current_version(con)
        apply_views(con, temporary=True)
        _lock(con, *lake.local_paths)
    except BaseException:
        con.close()
        raise
    return con, Source(lake.describe(), False, published, snapshot)


def _published_span(lake: Lake) -> str:
    """What a time to travel to can be: the wall-clock times of the lake's publications (the events'
    own times are what `occurred_at` filters)."""
    con = duckdb.connect(":memory:")
    try:
        attach_lake(con, lake, read_only=True)
        first = scalar(con, f"SELECT min(published_at) FROM {ALIAS}.lake_publications")
        last = scalar(con, f"SELECT max(published_at) FROM {ALIAS}.lake_publications")
    except duckdb.Error:
        return ""
    finally:
        con.close()
    if first is None:
        return ""
    local = [t.astimezone(VIETNAM).isoformat(sep=" ", timespec="seconds") for t in (first, last)]
    return (
        f". A time to travel to is when the lake was published (the wall clock), not when the events occurred: "
        f"this lake was published from {local[0]} to {local[1]}; the events' own time is occurred_at"
    )


def _newest_snapshot(lake: Lake) -> int | None:
    """The id of the lake's newest snapshot; None if the consumer has not published to it yet."""
    con = duckdb.connect(":memory:")
    try:
        attach_lake(con, lake, read_only=True)
        snapshot = current_version(con)
        try:
            con.execute(f"SELECT 1 FROM {ALIAS}.lake_publications LIMIT 0")
        except duckdb.CatalogException:
            return None
        return snapshot
    finally:
        con.close()


def lake_views_sql(lake: Lake, attach: bool = False) -> str:
    """The curated views and macros as temporary ones, in an order that creates them on the lake;
    with attach, first the statements that load the extensions and attach the lake read-only."""
    if not lake.exists():
        raise QueryRefused(f"no lake at {lake.describe()}")
    con = duckdb.connect(":memory:")
    try:
        attach_lake(con, lake, read_only=True)
        con.execute(f"USE {ALIAS}")
        order = apply_views(con, temporary=True)
    except RuntimeError as exc:  # the consumer has not created the lake's tables yet
        raise QueryRefused(f"no lake has been published at {lake.describe()}") from exc
    finally:
        con.close()
    folder = view_files()[0].parent
    views = [view_sql(folder / name, temporary=True).strip() for name in order]
    if not attach:
        return "\n\n".join(views)
    loads = [f"LOAD '{extension_file(name, persistent=True)}';" for name in lake.extensions]
    setup = [*loads, f"ATTACH '{('ducklake:' + lake.catalog).replace(chr(39), chr(39) * 2)}' AS {ALIAS} (READ_ONLY);", f"USE {ALIAS};"]
    return "\n".join(setup) + "\n\n" + "\n\n".join(views)


Connection = duckdb.DuckDBPyConnection  # what readers outside store/ hold (they do not import duckdb)


@contextmanager
def reading(
    db: Path, lake: Lake | None = None, *, version: int | None = None, at: datetime | None = None
) -> Iterator[tuple[Connection, Source]]:
    """open_sandbox() for the length of a with-block; the connection is closed after it."""
    con, source = open_sandbox(db, lake, version=version, at=at)
    try:
        yield con, source
    finally:
        con.close()


FIRST_PUBLICATION_WAIT_S = 10.0  # a consumer publishes once as it starts, before it reads Kafka


def open_sandbox(
    db: Path, lake: Lake | None = None, memory_limit: str | None = None, *, version: int | None = None, at: datetime | None = None
) -> tuple[duckdb.DuckDBPyConnection, Source]:
    """The lake once the consumer has published to it; before that, the database file if no consumer
    holds it; if one does (it is starting), its first publication, waited for a few seconds."""
    try:
        return FIRST_PUBLICATION_RETRIES.call(lambda: _open(db, lake, memory_limit, version, at))
    except _NotYet:
        raise QueryRefused(
            f"{db} is held by a running consumer and no lake has been published yet"
            + (f" at {lake.describe()}; the consumer publishes as it starts, then every --publish-every seconds" if lake else "")
        ) from None


class _NotYet(Exception):
    """The database is held and the lake not yet published."""


# A consumer publishes once as it starts, before it reads Kafka: a reader waits that long for it.
FIRST_PUBLICATION_RETRIES = RetryPolicy("lake-open", (_NotYet,), wait_initial_s=0.1, wait_max_s=0.2, timeout_s=FIRST_PUBLICATION_WAIT_S)


def _open(
    db: Path, lake: Lake | None, memory_limit: str | None, version: int | None, at: datetime | None
) -> tuple[duckdb.DuckDBPyConnection, Source]:
    # A SQLite catalog is looked for first: attaching a missing one would create it.
    if lake is not None and lake.exists():
        opened = open_lake(lake, memory_limit, version=version, at=at)
        if opened is not None:
            return opened
    if version is not None or at is not None:
        raise QueryRefused(f"no lake has been published at {lake.describe() if lake else db}: time travel reads the lake")
    if db.exists():
        try:
            return _connect(db, memory_limit), Source(str(db), True, None)
        except duckdb.IOException as exc:
            if newer_format(exc):
                raise newer_format_error(db) from exc
            if "lock" not in str(exc).lower():
                raise
            if lake is None:  # a reader of the file itself (aggregates verify): nothing to wait for
                raise in_use(db, exc) from exc
            raise _NotYet from exc
    raise QueryRefused(f"no database at {db}" + (f" and no lake at {lake.describe()}" if lake else ""))
