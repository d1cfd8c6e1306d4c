"""Read-only access for analysts: `sql`, `query` and `export`, on the lake the consumer publishes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from streams.cli.common import DEFAULT_DB, Db, LakeData, LakeOpt, parse_time


def sql(
    query: Annotated[str | None, typer.Argument(help="One SELECT statement; omit it to type queries at a prompt.")] = None,
    db: Db = DEFAULT_DB,
    lake: LakeOpt = None,
    lake_data: LakeData = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json (lines) or parquet.")] = "table",
    output: Annotated[Path | None, typer.Option(help="Write to this file instead of the terminal.")] = None,
    max_rows: Annotated[int, typer.Option(help="Return at most this many rows.")] = 10_000,
    timeout: Annotated[float, typer.Option(help="Stop a query after this many seconds.")] = 30.0,
    version: Annotated[int | None, typer.Option("--version", help="Read the lake as of this snapshot version (time travel).")] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Read the lake as it was at this time, e.g. 2021-07-01T08:00 (Vietnam time).")
    ] = None,
) -> None:
    """Query the data read-only, whether or not the consumer is running; says how fresh the data is."""
    from streams.query import sql_command
    from streams.store.lake import lake_for

    when = parse_time(at, "--at") if at else None
    sql_command(db, query, fmt, output, max_rows, timeout, lake_for(db, lake, lake_data), version, when)


def query(
    name: Annotated[
        str,
        typer.Argument(help="A ready query of sql/queries: behind_pace, shortfall_by_tax_type, red_channel_share_month, slowest_offices."),
    ],
    as_of: Annotated[str | None, typer.Option(help="now, or a timestamp; default: the latest event in the data.")] = None,
    db: Db = DEFAULT_DB,
    lake: LakeOpt = None,
    lake_data: LakeData = None,
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json (lines) or parquet.")] = "table",
    output: Annotated[Path | None, typer.Option(help="Write to this file instead of the terminal.")] = None,
    max_rows: Annotated[int, typer.Option(help="Return at most this many rows.")] = 10_000,
) -> None:
    """Run a ready query that answers a question operations ask."""
    from streams.query import query_command
    from streams.store.lake import lake_for

    query_command(db, name, as_of, fmt, output, max_rows, 60.0, lake_for(db, lake, lake_data))


def export(
    name: Annotated[str, typer.Argument(help="A table or view, e.g. revenue or revenue_monthly.")],
    output: Annotated[Path, typer.Option(help="The file to write: .parquet (default) or .csv.")],
    db: Db = DEFAULT_DB,
    lake: LakeOpt = None,
    lake_data: LakeData = None,
    max_rows: Annotated[int, typer.Option(help="Refuse to export more rows than this.")] = 50_000_000,
) -> None:
    """Export a table or view for other tools."""
    from streams.query import export_command
    from streams.store.lake import lake_for

    rows = export_command(db, name, output, max_rows, lake_for(db, lake, lake_data))
    typer.echo(f"wrote {rows} rows of {name} to {output}")
