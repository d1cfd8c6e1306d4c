"""Apply sql/schema/NNN_*.sql files in order, each once, recording the versions applied."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from streams.errors import SchemaTooNewError
from streams.store.transaction import transaction

_MIGRATION = re.compile(r"^(\d{3})_[a-z0-9_]+\.sql$")


def sql_dir() -> Path:
    """The sql/ folder: beside the package in a checkout, inside it in a built wheel."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_sql", here.parent / "sql"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("sql/ folder not found beside or inside the streams package")


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
    done = {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}
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
        (version,), *_ = con.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchall()
    except duckdb.CatalogException:
        return 0
    return int(version)
