"""Create the curated views and macros of sql/views/ (CREATE OR REPLACE; applied on every start)."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from streams.store.sqlfiles import sql_dir


def view_files() -> list[Path]:
    return sorted((sql_dir() / "views").glob("*.sql"))


def view_sql(path: Path, *, temporary: bool = False) -> str:
    """One file's statements; temporary: as TEMP views and macros of the session."""
    text = path.read_text("utf-8")
    return re.sub(r"CREATE OR REPLACE (VIEW|MACRO)", r"CREATE OR REPLACE TEMP \1", text) if temporary else text


def apply_views(con: duckdb.DuckDBPyConnection, *, temporary: bool = False) -> list[str]:
    """Create every view; a view that needs another is retried after it. Returns the file names applied.
    temporary: as TEMP views and macros of the session (a reader of the lake, which is read-only)."""
    pending = view_files()
    applied: list[str] = []
    while pending:
        failed: list[tuple[Path, Exception]] = []
        for path in pending:
            try:
                con.execute(view_sql(path, temporary=temporary))
                applied.append(path.name)
            except duckdb.CatalogException as exc:  # depends on a view not created yet
                failed.append((path, exc))
        if len(failed) == len(pending):
            names = ", ".join(f"{p.name}: {str(e).splitlines()[0]}" for p, e in failed)
            raise RuntimeError(f"views could not be created: {names}")
        pending = [p for p, _ in failed]
    return applied
