"""What the sandbox lets through: one SELECT (or EXPLAIN of one), checked on DuckDB's own parse tree
for functions and tables that reach past the read-only data. A refusal names what was refused."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import duckdb

from streams.errors import QueryRefused
from streams.store import scalar

ALLOWED = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
# Functions a SELECT may call that reach past the read-only data: SQL run on the catalog's server or
# file (postgres_query, sqlite_query...), SQL built from strings (query, query_table), and DuckLake's
# and DuckDB's upkeep, which writes files even on a read-only attachment (checkpoint,
# ducklake_flush_inlined_data, ducklake_merge_adjacent_files...). The lake's read functions stay.
# Functions that read files by name are refused too: the lake's data folder must stay readable for
# DuckLake, but a reader going around the catalog (read_parquet of the folder) would read files of
# publications not committed yet, and files no snapshot holds any more.
_REFUSED_PREFIXES = ("postgres_", "sqlite_", "ducklake_", "read_", "parquet_", "iceberg_", "delta_")
_REFUSED_NAMES = {
    "query",
    "query_table",
    "json_execute_serialized_sql",  # runs SQL given as a parse tree: nothing in it would be checked
    "checkpoint",
    "force_checkpoint",
    "parquet_scan",
    "glob",
    "sniff_csv",
    "delta_scan",
}
# A table named like a file (FROM 'folder/x.parquet') is DuckDB's replacement scan of that file.
_FILE_LIKE = re.compile(r"[./\\:*?\[]")
_DUCKLAKE_READS = {
    "ducklake_snapshots",
    "ducklake_current_snapshot",
    "ducklake_last_committed_snapshot",
    "ducklake_table_info",
    "ducklake_list_files",
    "ducklake_table_changes",
    "ducklake_table_insertions",
    "ducklake_table_deletions",
    "ducklake_options",
    "ducklake_settings",
}


def check_statement(sql: str) -> None:
    """Refuse anything but one SELECT (or EXPLAIN), naming what was not allowed."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        raise QueryRefused(f"the query does not parse: {str(exc).splitlines()[0]}") from exc
    if len(statements) != 1:
        raise QueryRefused(f"give exactly one statement; got {len(statements)}")
    kind = statements[0].type
    if kind not in ALLOWED:
        words = statements[0].query.split()
        name = words[0].upper() if words else kind.name
        raise QueryRefused(f"{name} statements are not allowed: only SELECT queries run here (the data is read-only)")
    select = statements[0].query
    if kind == duckdb.StatementType.EXPLAIN:  # EXPLAIN ANALYZE runs its statement: only a SELECT may follow
        if "--" in select or "/*" in select:  # a comment can hide from the split below what DuckDB runs
            raise QueryRefused("EXPLAIN with a comment is not allowed: explain the statement without comments")
        inner = re.sub(r"^\s*EXPLAIN\s+(ANALY[SZ]E\s+)?(\([^)]*\)\s*)?", "", statements[0].query, flags=re.IGNORECASE)
        try:
            explained = duckdb.extract_statements(inner)
        except duckdb.Error as exc:
            raise QueryRefused(f"the explained statement does not parse: {str(exc).splitlines()[0]}") from exc
        if len(explained) != 1 or explained[0].type != duckdb.StatementType.SELECT:
            words = inner.split()
            raise QueryRefused(f"EXPLAIN of {words[0].upper() if words else 'nothing'} is not allowed: only SELECT queries run here")
        select = explained[0].query
    tree = _parse(select)
    catalog = sorted(f"{schema}.{name}" for schema, name in _qualified_tables(tree) if schema.startswith("__ducklake_metadata"))
    if catalog:
        raise QueryRefused(f"the lake's catalog tables ({', '.join(catalog)}) are not for reading: query the lake's tables and views")
    files = sorted(name for name in _base_tables(tree) if _FILE_LIKE.search(name))
    if files:
        raise QueryRefused(
            f"reading files directly ({', '.join(files)}) is not allowed: query the lake's tables and views, which read "
            "exactly one publication"
        )
    refused = sorted({name for qualifier, name in _functions(tree) if _is_refused(qualifier, name)})
    if refused:
        raise QueryRefused(
            f"{', '.join(refused)} is not allowed: it reaches past the read-only data (the catalog's server, files, or SQL in strings)"
        )


def _is_refused(qualifier: str, name: str) -> bool:
    """A function refused by name; one qualified by a catalog or schema other than DuckDB's own is the
    lake's (lake.merge_adjacent_files() is ducklake_merge_adjacent_files): only its reads are allowed."""
    name = name.lower()
    if qualifier.lower() not in ("", "main", "system", "temp", "pg_catalog", "information_schema"):
        return f"ducklake_{name}" not in _DUCKLAKE_READS and name not in _DUCKLAKE_READS
    if name in _DUCKLAKE_READS:
        return False
    return name in _REFUSED_NAMES or name.startswith(_REFUSED_PREFIXES)


def _parse(select: str) -> dict[str, object]:
    """DuckDB's own parse tree of a SELECT (json_serialize_sql)."""
    con = duckdb.connect(":memory:")
    try:
        tree: dict[str, object] = json.loads(scalar(con, "SELECT json_serialize_sql($q)", {"q": select}))
    finally:
        con.close()
    if tree.get("error"):
        raise QueryRefused(f"the query does not parse: {tree.get('error_message', 'unknown error')}")
    return tree


def _nodes(tree: dict[str, object]) -> Iterator[dict[str, object]]:
    stack: list[object] = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            yield item
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _functions(tree: dict[str, object]) -> set[tuple[str, str]]:
    """Every function a SELECT calls (scalar, aggregate, table) as (its catalog or schema qualifier,
    "" if none; its name)."""
    return {
        (str(node.get("catalog") or "") or str(node.get("schema") or ""), name)
        for node in _nodes(tree)
        if isinstance(name := node.get("function_name"), str)
    }


def _base_tables(tree: dict[str, object]) -> set[str]:
    """The names of the tables (and views) a SELECT reads."""
    return {name for _, name in _qualified_tables(tree)}


def _qualified_tables(tree: dict[str, object]) -> set[tuple[str, str]]:
    """(catalog or schema qualifier, lower case; name) of each table or view a SELECT reads."""
    return {
        (str(node.get("catalog_name") or node.get("schema_name") or "").lower(), str(node.get("table_name")))
        for node in _nodes(tree)
        if node.get("type") == "BASE_TABLE"
    }
