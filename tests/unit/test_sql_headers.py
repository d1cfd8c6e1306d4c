"""Every file of sql/ declares itself (streams/store/sqlfiles.py): its name, its $parameters with
their types and its result's columns with DuckDB's types. Here each header is held against DuckDB's
own DESCRIBE of the statement on a fresh store (with a real DuckLake attached as `lake`), and the row
types the Python code reads with are held against the headers."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from streams.config import lake_for
from streams.kpi.targets import load_targets
from streams.lake import EVENT_TABLES, attach
from streams.lake.publication import ensure_lake_tables
from streams.lake.takeover import LAKE_OFFSETS, OUTCOMES
from streams.observe.kpi_collector import FAMILIES, READS
from streams.read.verify import AMOUNTS
from streams.report.figures import READS as REPORT_READS
from streams.store import aggregates, open_store, rows, run, sql_dir, sql_file, statement, write_reference
from streams.store.sqlfiles import parse

FOLDERS = ("write", "aggregates", "metrics", "verify", "lake", "report", "views", "queries")
NAMES = sorted(str(p.relative_to(sql_dir()).with_suffix("")) for folder in FOLDERS for p in (sql_dir() / folder).rglob("*.sql"))
CHANGES = {duckdb.StatementType.INSERT, duckdb.StatementType.UPDATE, duckdb.StatementType.DELETE, duckdb.StatementType.CREATE}
SAMPLE = {
    "TIMESTAMPTZ": "TIMESTAMPTZ '2021-06-30 17:00:00+00'",
    "TIMESTAMP": "TIMESTAMP '2021-07-01 00:00:00'",
    "VARCHAR": "'03'",
    "BIGINT": "0",
}


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """A fresh store, its reference tables, its lake attached, and the frames a batch registers."""
    path = tmp_path_factory.mktemp("headers") / "h.duckdb"
    store = open_store(path)
    write_reference(store, load_targets())
    con = store.cursor()
    attach(con, lake_for(path), read_only=False)
    ensure_lake_tables(con)
    seen = {"event_id": pl.String, "stored_partition": pl.Int32, "stored_offset": pl.Int64}
    replays = {"source_topic": pl.String, "source_partition": pl.Int32, "source_offset": pl.Int64, "original_topic": pl.String,
               "original_partition": pl.Int32, "original_offset": pl.Int64, "raw_value": pl.Binary}  # fmt: skip
    con.register("seen", pl.DataFrame(schema=seen).to_arrow())
    con.register("incoming_replays", pl.DataFrame(schema=replays).to_arrow())
    con.register("takeover_outcomes", pl.DataFrame(schema=OUTCOMES).to_arrow())
    con.register("lake_offsets", pl.DataFrame(schema=LAKE_OFFSETS).to_arrow())
    yield con
    con.close()
    store.close()


def fills(name: str, table: str = "revenue") -> dict[str, str]:
    """The values Python gives a file's {{placeholders}} (an event table, the lake's alias, ...)."""
    wanted = set(re.findall(r"\{\{(\w+)\}\}", sql_file(name).text))
    if name == "aggregates/audit":
        table = table if table.startswith("agg_") else "agg_revenue_day"
        rebuilt = statement("aggregates/agg_release") if table == aggregates.RELEASE else aggregates.contribution(table)
        return {"table": table, "contribution": rebuilt}
    if name.startswith("aggregates/merge/") and "contribution" in wanted:
        return {"contribution": aggregates.contribution(name.removeprefix("aggregates/merge/"))}
    given = {"table": table, "alias": "lake", "amount": AMOUNTS.get(table, "0")}
    return {key: given.get(key, key) for key in wanted}


def describe(con: duckdb.DuckDBPyConnection, sql: str, params: dict[str, str]) -> list[tuple[str, str]]:
    # NULL for every parameter, but a lake snapshot (`version`), which DuckLake's functions require.
    values = {name: 1 if name == "version" else None for name in params}
    return [(str(row[0]), str(row[1])) for row in con.execute(f"DESCRIBE {sql}", values).fetchall()]


def test_every_file_has_a_header() -> None:
    """Name, parameters (or what it defines) and columns, for each of the files of every folder."""
    assert len(NAMES) > 100
    assert [name for name in NAMES if sql_file(name).name != name] == []


@pytest.mark.parametrize("name", [n for n in NAMES if not n.startswith("views/")])
def test_the_header_is_what_duckdb_says(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Declared $parameters are the ones the statement uses; declared columns are DESCRIBE's, names and
    types in order; a statement declaring none changes data."""
    file = sql_file(name)
    assert set(file.params) == set(re.findall(r"\$(\w+)", file.text))
    sql = statement(name, **fills(name))
    if file.like is not None:  # the columns follow the table filled in: each one of them
        for table in aggregates.TABLES if name == "aggregates/audit" else EVENT_TABLES:
            like = file.like.replace("{{table}}", table)
            assert describe(con, statement(name, **fills(name, table)), file.params) == describe(con, like, {})
    elif file.columns is None:
        assert duckdb.extract_statements(sql)[0].type in CHANGES
    else:
        assert describe(con, sql, file.params) == list(file.columns)


@pytest.mark.parametrize("name", [n for n in NAMES if n.startswith("views/")])
def test_a_view_file_defines_what_it_says(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Each view and macro declared exists with its arguments; the columns are those of the first view
    or table macro, called with a value of each argument's type."""
    file = sql_file(name)
    assert file.defines
    first = None
    for item in file.defines:
        match = re.fullmatch(r"(\w+)(?:\((.*)\))?", item)
        assert match, item
        obj, args = match[1], [a.split() for a in (match[2] or "").split(",") if a.strip()]
        if match[2] is None:
            assert con.execute("SELECT count(*) FROM duckdb_views() WHERE view_name = ?", [obj]).fetchall() == [(1,)]
            first = first or obj
            continue
        found = con.execute("SELECT function_type, parameters FROM duckdb_functions() WHERE function_name = ?", [obj]).fetchall()
        assert [(kind, list(parameters)) for kind, parameters in found][:1] in (
            [("macro", [a for a, _ in args])],
            [("table_macro", [a for a, _ in args])],
        ), item
        if found[0][0] == "table_macro":
            first = first or f"{obj}({', '.join(SAMPLE[kind] for _, kind in args)})"
    if file.columns is None:
        assert first is None  # scalar macros only
    else:
        assert first is not None
        assert describe(con, f"SELECT * FROM {first}", {}) == list(file.columns)


def test_headers_parse_strictly() -> None:
    """A header without its columns, or naming another file, is refused with the file's name."""
    with pytest.raises(ValueError, match=r"sql/metrics/x\.sql: its header lacks columns"):
        parse("metrics/x", "-- name: metrics/x\n-- params: none\nSELECT 1 AS one")
    with pytest.raises(ValueError, match=r"its header names it 'metrics/y'"):
        parse("metrics/x", "-- name: metrics/y\n-- params: none\n-- columns: none\nSELECT 1")
    parsed = parse(
        "metrics/x", "-- name: metrics/x\n-- params: as_of TIMESTAMPTZ\n-- columns:\n--   a  DECIMAL(38,0)\n--\n-- Prose.\nSELECT 1"
    )
    assert (parsed.params, parsed.columns, parsed.text) == ({"as_of": "TIMESTAMPTZ"}, (("a", "DECIMAL(38,0)"),), "SELECT 1")


def test_the_collectors_row_types_and_families_read_declared_columns() -> None:
    """Each row type of READS has the file's columns as fields, and each family's labels and value are
    columns of its file: a SELECT list renamed fails here, not on a scrape."""
    for name, row in READS.items():
        declared = sql_file(f"metrics/{name}").column_names
        if row is not None:
            assert sorted(f.name for f in dataclasses.fields(row)) == sorted(declared), name
    for family in FAMILIES:
        if family.source is not None:
            declared = sql_file(f"metrics/{family.source}").column_names
            assert {*family.labels.values(), family.value} <= set(declared), family.name


def test_the_briefings_row_types_read_declared_columns() -> None:
    """Each figure of the briefing is read into a row type whose fields are its file's columns."""
    for name, row in REPORT_READS.items():
        assert tuple(f.name for f in dataclasses.fields(row)) == sql_file(name).column_names, name
    report_files = {n for n in NAMES if n.startswith("report/")}
    assert report_files - set(REPORT_READS) == set()  # every file of sql/report/ has its row type


def test_the_sql_folder_holds_nothing_undeclared() -> None:
    """Every .sql file outside the migrations is in one of the folders checked here."""
    others = {str(p.relative_to(sql_dir())) for p in Path(sql_dir()).rglob("*.sql")} - {f"{n}.sql" for n in NAMES}
    assert {o for o in others if not o.startswith("schema/")} == set()


@pytest.mark.parametrize(
    ("params", "columns", "words"),
    [
        ("x BIGINT, x BIGINT", "none", "each be a name and a type, once"),
        ("x", "none", "each be a name and a type, once"),
        ("none", "", "lists no column"),
        ("none", "like", "needs the SELECT"),
        ("none", "a BIGINT", "takes `none`, `like <SELECT>`, or its columns on the lines below"),
    ],
)
def test_a_header_that_says_too_little_or_too_much_is_refused(params: str, columns: str, words: str) -> None:
    with pytest.raises(ValueError, match=re.escape(words)):
        parse("metrics/x", f"-- name: metrics/x\n-- params: {params}\n-- columns: {columns}\nSELECT 1")


def test_reads_and_runs_are_refused_where_the_header_says_otherwise(con: duckdb.DuckDBPyConnection) -> None:
    """run() is for statements that change data, rows() for results; parameters go by name, exactly."""
    as_of = {"as_of": datetime(2021, 6, 1, tzinfo=UTC)}
    with pytest.raises(TypeError, match=re.escape("sql/metrics/progress.sql returns rows: read them with rows() or one()")):
        run(con, "metrics/progress", as_of)
    with pytest.raises(TypeError, match="returns no rows"):
        rows(con, "write/end_batch", None, {"batch_seq": 1, "changed_seq": 1})
    with pytest.raises(TypeError, match="has the columns of the table filled in"):
        rows(con, "write/stored_events", None, {"lowest": 0, "highest": 1}, table="revenue")
    with pytest.raises(TypeError, match=re.escape("takes its parameters by name (a mapping), not list")):
        rows(con, "metrics/progress", None, [as_of["as_of"]])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=re.escape("takes $as_of; given ['asof']")):
        rows(con, "metrics/progress", None, {"asof": as_of["as_of"]})
    found = rows(con, "metrics/progress", None, as_of)
    assert len(found) >= 35 and {r.department_code for r in found} >= {"02", "03"}  # every department, by name
