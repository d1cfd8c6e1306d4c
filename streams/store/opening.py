"""Opening the database: the connection's settings, migrations, views, aggregates and the index.

The writer's index is brought up to date before the first batch (after a crash it re-reads the
batches it missed; it is rebuilt from the rows if it is missing or belongs to another database),
and --memory-limit is shared between DuckDB and the index.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import duckdb

from streams.config import check_memory_limit, size_bytes
from streams.errors import ConfigError, DatabaseInUseError
from streams.store import aggregates
from streams.store.database import EventStore, store_state
from streams.store.index import Index, catch_up
from streams.store.schema import apply_schema
from streams.store.state import StateStore, state_path
from streams.store.views import apply_views

log = logging.getLogger(__name__)
MIN_DUCKDB_BYTES = 64_000_000


def duckdb_version() -> str:
    return str(duckdb.__version__)


def open_store(path: str | Path, *, read_only: bool = False, memory_limit: str | None = None) -> EventStore:
    """Open (and migrate) the database, failing clearly if another process holds it.

    The writer also opens its index beside the file and brings it up to date: after a crash it
    re-reads the batches it missed, and it rebuilds itself from the rows if it is missing or belongs
    to another database. `memory_limit` (checked by `config.check_memory_limit`) caps DuckDB's
    memory and the index's together (_share_memory); without it DuckDB may grow to 80% of RAM."""
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            raise in_use(path, exc) from exc
        if newer_format(exc):
            raise newer_format_error(path) from exc
        raise
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET threads = 1")
    if memory_limit is not None:
        con.execute(f"SET memory_limit = '{check_memory_limit(memory_limit)}'")  # checked: digits and a unit only
    if read_only:
        return EventStore(con, path)
    # DuckDB checkpoints the WAL into the file when it passes this size. At the default 16 MiB a
    # checkpoint came every 4 batches of 20,000 events and rewrote the tables' last, partly filled
    # row groups each time; 64 MiB made the writer 30% faster (55,800 -> 72,300 events/s) and the
    # WAL replayed at a restart stays small.
    con.execute("SET checkpoint_threshold = '64MB'")
    try:
        apply_schema(con)
        apply_views(con)
        aggregates.build_if_needed(con)
        index = _open_index(con, path)
        if memory_limit is not None:
            _share_memory(con, size_bytes(check_memory_limit(memory_limit) or ""), index)
    except BaseException:
        con.close()
        raise
    return EventStore(con, path, index)


def _share_memory(con: duckdb.DuckDBPyConnection, limit: int, index: Index) -> None:
    """--memory-limit covers DuckDB and the index together: DuckDB gets what the index leaves.

    DuckDB's buffer pool fills up to its limit over time (it keeps the blocks it wrote), so RSS
    settles at about the limit plus the interpreter's own share, whatever the history. Without
    this, the index's filters (about 2 bytes per stored event) would come on top."""
    held = index.state.memory_bytes()
    duckdb_share = max(MIN_DUCKDB_BYTES, limit - held)
    con.execute(f"SET memory_limit = '{duckdb_share}B'")  # an int: nothing else reaches the SQL
    log.info("memory limit %.0f MB: DuckDB %.0f MB, the index %.0f MB", limit / 1e6, duckdb_share / 1e6, held / 1e6)


def _open_index(con: duckdb.DuckDBPyConnection, path: Path) -> Index:
    stored = store_state(con)
    store_id, batch_seq = stored.store_id, stored.batch_seq
    state = StateStore(state_path(path))
    watermark = state.watermark
    if state.store_id != store_id or watermark is None or watermark > batch_seq:
        if watermark is not None:
            log.warning(
                "the index %s does not match %s (index of store %s at batch %s, database %s at batch %d): rebuilding it from the rows",
                state.path, path, state.store_id, watermark, store_id, batch_seq,
            )  # fmt: skip
        state.close()
        state = StateStore.recreate(state_path(path))
        catch_up(con, Index(state), -1, batch_seq, store_id)
    elif watermark < batch_seq:
        catch_up(con, Index(state), watermark, batch_seq, store_id)
    return Index(state)


def in_use(path: Path, exc: duckdb.IOException) -> DatabaseInUseError:
    """DuckDB's lock error as the product's: the file, DuckDB's words and the process holding it."""
    return DatabaseInUseError(str(path), str(exc).splitlines()[0], _holder(str(exc)))


def _holder(message: str) -> str | None:
    """The process DuckDB says holds the lock ("... (PID 1234) ..."), with its command line when readable."""
    match = re.search(r"\(PID (\d+)\)", message)
    if match is None:
        return None
    pid = match.group(1)
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return f"pid {pid}"
    return f"pid {pid}: {command[:200]}" if command else f"pid {pid}"


def newer_format(exc: duckdb.Error) -> bool:
    """A file written by a newer DuckDB than the one installed."""
    return "newer version of DuckDB" in str(exc)


def newer_format_error(path: Path) -> ConfigError:
    return ConfigError(
        "db",
        str(path),
        f"a file of DuckDB {duckdb.__version__}'s format; this one was written by a newer DuckDB "
        "(this project before it pinned DuckDB 1.5 for DuckLake): `customs-kpi migrate-duckdb2 --help` says how to bring it over",
    )
