"""Apply sql/schema/NNN_*.sql files in order, each once, recording the versions applied."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from streams.errors import SchemaTooNewError
from streams.store.sqlfiles import scalar, sql_dir
from streams.store.transaction import transaction

_MIGRATION = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def migrations() -> list[tuple[int, Path]]:
    found = []
    for path in sorted((sql_dir() / "schema").iterdir()):
        match = _MIGRATION.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return found


def apply_schema(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Bring the database to the newest schema version; returns the versions applied now."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations "
        "(version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
    )
    done = set(con.execute("SELECT version FROM schema_migrations").pl()["version"].to_list())
    known = max(version for version, _ in migrations())
    if done and max(done) > known:  # written by a newer release: migrating it "back" would corrupt it
        raise SchemaTooNewError(max(done), known)
    applied = []
    for version, path in migrations():
        if version in done:
            continue
        with transaction(con):
            con.execute(path.read_text("utf-8"))
            con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", [version, path.name])
        applied.append(version)
    return applied


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    """The newest migration applied to the database (0 for one without any)."""
    try:
        version = scalar(con, "SELECT coalesce(max(version), 0) FROM schema_migrations")
    except duckdb.CatalogException:
        return 0
    return int(version)
