"""The SQL of sql/, read once, each file with the header that declares it, and read back by name.

A file opens with its header, then says in prose what it does:

    -- name: metrics/progress
    -- params: as_of TIMESTAMPTZ
    -- columns:
    --   department_code  VARCHAR
    --   ...

`name` is the file's path under sql/ without `.sql`; `params` its `$parameters` with their types
(or `none`); `columns` the result's columns with DuckDB's types, one per line, or `none` for a
statement that changes data, or `like <SELECT>` for one whose columns follow a placeholder's table.
The files of sql/views/ declare instead what they `define` (a view, a macro), and the columns of the
first. tests/unit/test_sql_headers.py checks every header against DuckDB's DESCRIBE of the statement.

Python reads results through rows() and one() into frozen row types whose fields are the declared
columns, by name: a column renamed, added or dropped fails at once, and a SELECT list reordered
moves no value between fields. Placeholders `{{name}}` stand for relations (an event table or a batch's frame) and for whole
statements of other files (`{{contribution}}`): never for data, which travels as `$parameters` or Arrow.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, TypeVar, overload

import duckdb

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_KEY = re.compile(r"^--\s*(name|params|columns|defines):\s*(.*)$")
_COLUMN = re.compile(r"^--\s{3,}(\w+)\s+(\S.*)$")
R = TypeVar("R")
Params = Mapping[str, object] | None


def sql_dir() -> Path:
    """The sql/ folder: beside the package in a checkout, inside it in a built wheel."""
    here = Path(__file__).resolve().parent.parent
    for candidate in (here / "_sql", here.parent / "sql"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("sql/ folder not found beside or inside the streams package")


@dataclass(frozen=True)
class SqlFile:
    """One file of sql/ as its header declares it."""

    name: str
    text: str  # the statement, without comments
    params: dict[str, str]  # $parameter -> DuckDB type
    columns: tuple[tuple[str, str], ...] | None  # (name, DuckDB type) of the result; None: no rows
    like: str | None = None  # a SELECT whose columns the result has (for results that follow {{table}})
    defines: tuple[str, ...] = ()  # sql/views/: the views and macros the file creates, with arguments

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns or ())


def _split(text: str) -> list[str]:
    """Comma-separated items, commas inside parentheses kept (DECIMAL(38,0), f(a, b))."""
    items, depth, current = [], 0, ""
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            items.append(current.strip())
            current = ""
        else:
            current += char
    return [item for item in [*items, current.strip()] if item]


def parse(name: str, source: str) -> SqlFile:
    """A file's header and statement; a file without a complete header is an error naming what is missing."""
    lines = source.splitlines()
    fields: dict[str, str] = {}
    columns: list[tuple[str, str]] = []
    in_columns = False
    for line in lines:
        if not line.startswith("--"):
            break
        key = _KEY.match(line)
        if key:
            fields[key[1]] = key[2].strip()
            in_columns = key[1] == "columns" and not key[2].strip()
            continue
        column = _COLUMN.match(line) if in_columns else None
        if column:
            columns.append((column[1], column[2].strip()))
        else:
            in_columns = False
    missing = [key for key in ("name", "columns") if key not in fields] + ([] if "params" in fields or "defines" in fields else ["params"])
    if missing:
        raise ValueError(f"sql/{name}.sql: its header lacks {', '.join(missing)} (see streams/store/sqlfiles.py)")
    if fields["name"] != name:
        raise ValueError(f"sql/{name}.sql: its header names it {fields['name']!r}")
    params: dict[str, str] = {}
    if fields.get("params", "none") != "none":
        for item in _split(fields["params"]):
            param, _, kind = item.partition(" ")
            if not kind.strip() or param in params:
                raise ValueError(f"sql/{name}.sql: its params must each be a name and a type, once: {fields['params']!r}")
            params[param] = kind.strip()
    declared = fields["columns"]
    like = declared.removeprefix("like ").strip() if declared.startswith("like ") else None
    if declared.startswith("like") and not like:
        raise ValueError(f"sql/{name}.sql: `columns: like` needs the SELECT whose columns it has")
    if not declared and not columns:
        raise ValueError(f"sql/{name}.sql: `columns:` lists no column (one per line: `--   name  TYPE`), or say `none`")
    if declared and declared != "none" and not like:
        raise ValueError(f"sql/{name}.sql: `columns:` takes `none`, `like <SELECT>`, or its columns on the lines below")
    if "defines" in fields and not _split(fields["defines"]):
        raise ValueError(f"sql/{name}.sql: `defines:` names no view or macro")
    text = "\n".join(line for line in lines if not line.lstrip().startswith("--")).strip().rstrip(";")
    return SqlFile(
        name=name,
        text=text,
        params=params,
        columns=None if declared == "none" or like else tuple(columns),
        like=like,
        defines=tuple(_split(fields.get("defines", ""))),
    )


@cache
def sql_file(name: str) -> SqlFile:
    return parse(name, (sql_dir() / f"{name}.sql").read_text("utf-8"))


def sql_text(name: str) -> str:
    """The statement of sql/<name>.sql, without its comment lines."""
    return sql_file(name).text


def literal(text: object) -> str:
    """A string as an SQL literal, quotes doubled: for the few statements that take no $parameter
    (ATTACH, LOAD, SNAPSHOT_TIME), the one quoter of the package."""
    return "'" + str(text).replace("'", "''") + "'"


def relation(name: str) -> str:
    """A relation's name, checked to be a plain identifier before it goes into SQL text."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a relation name: {name!r}")
    return name


@cache
def statement(name: str, **fill: str) -> str:
    """sql/<name>.sql with every {{placeholder}} replaced; a placeholder left unfilled is an error."""
    text = sql_text(name)

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in fill:
            raise KeyError(f"sql/{name}.sql needs a value for {{{{{key}}}}}")
        return fill[key]

    return _PLACEHOLDER.sub(replace, text)


def placeholders(name: str) -> set[str]:
    return set(_PLACEHOLDER.findall(sql_text(name)))


def check_params(name: str, params: Params) -> dict[str, object]:
    """The parameters, exactly those the header declares."""
    if params is not None and not isinstance(params, Mapping):
        raise TypeError(f"sql/{name}.sql takes its parameters by name (a mapping), not {type(params).__name__}")
    given = dict(params or {})
    declared = sql_file(name).params
    if set(given) != set(declared):
        raise TypeError(f"sql/{name}.sql takes ${', $'.join(sorted(declared)) or ' nothing'}; given {sorted(given)}")
    return given


@cache
def _fields(row: type[Any]) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(row))


@cache
def row_type(name: str) -> type[Any]:
    """A frozen row type made from the file's declared columns, for readers that take columns by the
    names of a table (the metric families of streams/observe) rather than by fields of their own."""
    file = sql_file(name)
    if file.like is not None:
        raise TypeError(f"sql/{name}.sql has the columns of the table filled in ({file.like}): read it with a row type of that table's")
    if file.columns is None:
        raise TypeError(f"sql/{name}.sql returns no rows (`columns: none`): run() it")
    title = "".join(part.title() for part in re.split(r"[/_]", name))
    return dataclasses.make_dataclass(title, [(column, object) for column in file.column_names], frozen=True)


@overload
def rows(con: duckdb.DuckDBPyConnection, name: str, row: type[R], params: Params = None, **fill: str) -> list[R]: ...
@overload
def rows(con: duckdb.DuckDBPyConnection, name: str, row: None = None, params: Params = None, **fill: str) -> list[Any]: ...
def rows(con: duckdb.DuckDBPyConnection, name: str, row: type[R] | None = None, params: Params = None, **fill: str) -> list[R] | list[Any]:
    """The rows of a SELECT of sql/, each a `row` built by column name (None: row_type(name)). The row
    type's fields must be the file's columns (in any order): a file and its reader that disagree fail
    here, on the first call."""
    make: Any = row or row_type(name)
    result = con.execute(statement(name, **fill), check_params(name, params))
    names = tuple(d[0] for d in result.description or ())
    if set(names) != set(_fields(make)) or len(names) != len(set(names)):
        raise TypeError(f"sql/{name}.sql returns {', '.join(names)}; {make.__name__} reads {', '.join(_fields(make))}")
    # Fetched to the end: DuckDB keeps an unfinished result open.
    return [make(**dict(zip(names, values, strict=True))) for values in result.fetchall()]


def scalar(con: duckdb.DuckDBPyConnection, sql: str, params: Params = None) -> Any:
    """The value of a query of one column and at most one row (None without a row): for the few
    questions Python asks DuckDB directly (a catalog's current snapshot, the session's time)."""
    result = con.execute(sql, dict(params or {}))
    if len(result.description or ()) != 1:
        raise TypeError(f"not a query of one column: {sql}")
    found = result.fetchall()
    if len(found) > 1:
        raise RuntimeError(f"{len(found)} rows, not one: {sql}")
    return found[0][0] if found else None


def one(con: duckdb.DuckDBPyConnection, name: str, row: type[R], params: Params = None, **fill: str) -> R:
    """The one row of a SELECT that returns exactly one (an aggregate without GROUP BY)."""
    found = rows(con, name, row, params, **fill)
    if len(found) != 1:
        raise RuntimeError(f"sql/{name}.sql returned {len(found)} rows, not one")
    return found[0]


def run(con: duckdb.DuckDBPyConnection, name: str, params: Params = None, **fill: str) -> int:
    """Run a statement of sql/ that changes data; the number of rows it changed (DuckDB's count)."""
    if sql_file(name).columns is not None or sql_file(name).like is not None:
        raise TypeError(f"sql/{name}.sql returns rows: read them with rows() or one()")
    result = con.execute(statement(name, **fill), check_params(name, params))
    counted = result.fetchall() if result.description else []  # INSERT, UPDATE and DELETE give one row, their count
    return sum(int(row[0] or 0) for row in counted)
