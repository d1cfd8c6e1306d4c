"""What the commands print: tables, result files, freshness lines, progress bars. Nothing below cli/ prints."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl
from rich import box
from rich.console import Console
from rich.table import Table

from streams.cli.common import DEMO_DB
from streams.config import Lake, lake_for
from streams.contract.reference import short_names
from streams.errors import ConfigError
from streams.kpi.clock import VIETNAM
from streams.kpi.display import billions, per_cent
from streams.observe.console import Progress, ProgressRow
from streams.query import check_flat, csv_text, freshness
from streams.read import Connection, QueryResult, Source
from streams.read import reading as open_reading
from streams.rejects import ByReason, RejectSummary


def err() -> Console:
    return Console(stderr=True, soft_wrap=True)


@dataclass(frozen=True)
class ReadSide:
    """Where a reading command reads: the database and its lake (None: the database alone), parsed
    once from the command's --db, --lake and --lake-data (read_side)."""

    db: Path
    lake: Lake
    database_only: bool = False  # read the database file alone, never the lake

    def check_output(self, output: Path | None, flag: str = "--output") -> None:
        """A reader's output file may not be one of the lake's or the store's own files: writing it
        would change what every other reader reads."""
        if output is not None and self.lake.holds(output, self.db):
            raise ConfigError(flag, str(output), "a file outside the lake's folder, its catalog and the store's files")

    @contextmanager
    def reading(self, *, version: int | None = None, at: datetime | None = None, note: str = "") -> Iterator[tuple[Connection, Source]]:
        """The read side opened, its freshness said on stderr, closed after. With no database and no
        lake where the command looks, but the demo's database there, the error says the --db to add
        (`make demo` writes var/demo/customs.duckdb, the commands read var/customs.duckdb)."""
        db, lake = self.db, None if self.database_only else self.lake
        if not db.exists() and db.resolve() != DEMO_DB.resolve() and DEMO_DB.exists() and (lake is None or not lake.exists()):
            raise ConfigError("--db", str(db), f"an existing database; the demo's is {DEMO_DB}: add --db {DEMO_DB} (or set CUSTOMS_KPI_DB)")
        with open_reading(db, lake, version=version, at=at) as (con, source):
            err().print(freshness(source) + note)
            yield con, source


def read_side(db: Path, lake: str | None = None, lake_data: str | None = None, *, database_only: bool = False) -> ReadSide:
    """The one place a reading command's --db, --lake and --lake-data become a ReadSide."""
    return ReadSide(db, lake_for(db, lake, lake_data), database_only)


def _is_money(column: str) -> bool:
    return column.endswith("_vnd")


def _is_ratio(column: str) -> bool:
    return bool({"ratio", "share"} & set(column.split("_")))


def _is_label(column: str) -> bool:
    """Whole numbers that name rather than count (a year, a snapshot's id): written without separators."""
    words = column.split("_")
    return words[-1] in ("year", "id", "version") or column in ("partition", "offset")


def cell(column: str, value: object, names: dict[str, str] | None = None) -> str:
    """A value as a person reads it: money (*_vnd) in billions of đồng, ratios (*_ratio, *_share) in
    per cent, whole numbers with separators, department names short and in Vietnamese."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int | float) and _is_money(column):
        return billions(value, fine=True)
    if isinstance(value, int | float) and _is_ratio(column):
        return per_cent(value)
    if isinstance(value, int):
        return str(value) if _is_label(column) else f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, datetime):
        local = value.astimezone(VIETNAM) if value.tzinfo else value
        return local.strftime("%Y-%m-%d %H:%M") if (local.second, local.microsecond) == (0, 0) else local.isoformat(sep=" ")
    if isinstance(value, str) and names is not None:
        return names.get(value, value)
    return str(value)


_HEADINGS = {  # short words: a heading's longest word sets its column's least width
    "department_code": "dept",
    "department": "name",
    "target_status": "status",
    "shortfall_vnd": "behind by",
    "projected_year_end_vnd": "proj. year end",
}


def heading(column: str) -> str:
    """A column's heading, short and in words (the caption gives the money's unit; ratios carry their %)."""
    if column in _HEADINGS:
        return _HEADINGS[column]
    return column.removesuffix("_vnd").removesuffix("_ratio").replace("_", " ")


def _widths(values: list[int], headings: list[int], room: int) -> list[int]:
    """Column widths within room (a space between columns): values whole, headings wrapped where they must be."""
    widths = [max(v, h) for v, h in zip(values, headings, strict=True)]
    while sum(widths) + len(widths) - 1 > room:
        slack = [w - max(v, 4) for w, v in zip(widths, values, strict=True)]  # a heading keeps 4 characters a line
        widest = max(range(len(widths)), key=lambda i: slack[i])
        if slack[widest] <= 0:
            break  # the values alone are wider than the room: the terminal crops, as any table
        widths[widest] -= 1
    return widths


def result_table(frame: pl.DataFrame, room: int = 80) -> Table:
    """The terminal form of a result: readable amounts, compact borders, numbers right-aligned. Every
    column and every value is shown whole: when the values alone are wider than the room, the table
    is wider than the room (table.width), never cut or folded."""
    names = short_names()
    rows = [[cell(c, v, names) for c, v in zip(frame.columns, row, strict=True)] for row in frame.iter_rows()]
    headings = [heading(c) for c in frame.columns]
    values = [max((len(row[i]) for row in rows), default=1) for i in range(len(headings))]
    widths = _widths(values, [len(h) for h in headings], room)
    needed = sum(widths) + len(widths) - 1
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, padding=0, width=needed if needed > room else None)
    for dtype, title, width, value in zip(frame.schema.values(), headings, widths, values, strict=True):
        table.add_column(title, justify="right" if dtype.is_numeric() else "left", width=width, min_width=value, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table


def write_result(result: QueryResult, fmt: str, output: Path | None, console: Console | None = None) -> None:
    """A terminal table, or CSV / JSON lines on stdout or to a file, or a Parquet file (checked by query.check_format)."""
    frame = result.frame
    if fmt == "table":
        console = console or Console()
        table = result_table(frame, console.width)
        console.print(table, width=table.width, crop=False)  # wider than the terminal only when the values are
        if any(_is_money(c) for c in frame.columns):  # under the table, as wide as the terminal (a caption wraps to the table)
            console.print("amounts in billions of đồng; exact values: --format csv, json or parquet", soft_wrap=True)
    elif fmt == "parquet" and output is not None:
        frame.write_parquet(output)
    elif fmt == "csv":
        check_flat(frame, "format")
        _emit(csv_text(frame), output)
    elif fmt == "json":
        _emit(frame.write_ndjson(), output)


def _emit(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def _local(t: object) -> str:
    return t.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S") if isinstance(t, datetime) else ""


def print_rejects(summary: RejectSummary) -> None:
    table = Table(*summary.columns, title=f"Rejects by {summary.by}")
    for row in summary.rows:
        if isinstance(row, ByReason):
            cells = [row.reason, row.topic, f"{row.rejects:,}", _local(row.first), _local(row.last), f"{row.accepted:,}"]
            table.add_row(*cells, f"{row.still_rejected:,}")
        else:
            when = row.t.strftime("%Y-%m-%d %H:00" if summary.by == "hour" else "%Y-%m-%d")
            table.add_row(when, row.reason, f"{row.rejects:,}")
    table.caption = f"{summary.total:,} rejects" + ("" if summary.rows else " (none match)")
    Console(width=max(160, Console().width)).print(table)  # whole reason codes, also when piped


def _bn(v: float | None) -> str:
    return "" if v is None else billions(v, decimals=0)  # the live table: whole billions, steady columns


def progress_table(progress: Progress) -> Table:
    """Departments by YTD with target, plan to date, pace and projection (bn VND); national last."""
    when = progress.as_of.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M ICT") if progress.as_of else "no data yet"
    table = Table(title=f"Revenue progress at {when} ({progress.level} targets, bn VND; * = illustrative target)", title_justify="left")
    table.add_column("dept")
    table.add_column("name", no_wrap=True)
    for name in ("YTD", "target", "plan to date", "pace", "projected year end"):
        table.add_column(name, justify="right")

    def cells(row: ProgressRow, colour: bool) -> list[str]:
        p = row.pace
        style = "red" if p is not None and p < 0.95 else ("yellow" if p is not None and p < 1.0 else "green")
        pace = "" if p is None else (f"[{style}]{per_cent(p)}[/]" if colour else per_cent(p))
        target = _bn(row.target) + ("*" if row.illustrative else "")
        return [row.code, row.name, _bn(row.ytd), target, _bn(row.plan_to_date), pace, _bn(row.projected)]

    for row in progress.departments:
        table.add_row(*cells(row, colour=True))
    table.add_section()
    table.add_row(*cells(progress.national, colour=False))
    return table
