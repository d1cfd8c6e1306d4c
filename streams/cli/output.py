"""What the commands print: tables, result files, freshness lines, progress bars. Nothing below cli/ prints."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from streams.kpi.clock import VIETNAM
from streams.observe.console import Progress, ProgressRow
from streams.query import check_flat, freshness
from streams.rejects import RejectSummary
from streams.store.lake import Lake
from streams.store.sandbox import Connection, QueryResult, Source
from streams.store.sandbox import reading as open_reading

BN = 1e9


def err() -> Console:
    return Console(stderr=True, soft_wrap=True)


@contextmanager
def reading(
    db: Path, lake: Lake | None, *, version: int | None = None, at: datetime | None = None, note: str = ""
) -> Iterator[tuple[Connection, Source]]:
    """The analysts' read side for one command: opened, its freshness said on stderr, closed after."""
    with open_reading(db, lake, version=version, at=at) as (con, source):
        err().print(freshness(source) + note)
        yield con, source


def write_result(result: QueryResult, fmt: str, output: Path | None) -> None:
    """A terminal table, or CSV / JSON lines on stdout or to a file, or a Parquet file (checked by query.check_format)."""
    frame = result.frame
    if fmt == "table":
        table = Table(*frame.columns, show_lines=False)
        for row in frame.iter_rows():
            table.add_row(*("" if v is None else str(v) for v in row))
        Console(width=max(100, Console().width)).print(table)
    elif fmt == "parquet" and output is not None:
        frame.write_parquet(output)
    elif fmt == "csv":
        check_flat(frame, "--format")
        _emit(frame.write_csv(), output)
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
        if summary.by == "reason":
            reason, topic, n, first, last, accepted, pending = row
            table.add_row(str(reason), str(topic), f"{n:,}", _local(first), _local(last), f"{accepted:,}", f"{pending:,}")
        else:
            t, reason, n = row
            when = t.strftime("%Y-%m-%d %H:00" if summary.by == "hour" else "%Y-%m-%d") if isinstance(t, datetime) else ""
            table.add_row(when, str(reason), f"{n:,}")
    table.caption = f"{summary.total:,} rejects" + ("" if summary.rows else " (none match)")
    Console(width=max(160, Console().width)).print(table)  # whole reason codes, also when piped


def _bn(v: float | None) -> str:
    return "" if v is None else f"{v / BN:,.0f}"


def progress_table(progress: Progress) -> Table:
    """Departments by YTD with target, plan to date, pace and projection (bn VND); national last."""
    when = progress.as_of.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M ICT") if progress.as_of else "no data yet"
    table = Table(title=f"Revenue progress at {when} ({progress.level} targets, bn VND; * = illustrative target)", title_justify="left")
    table.add_column("dept")
    table.add_column("name")
    for name in ("YTD", "target", "plan to date", "pace", "projected year end"):
        table.add_column(name, justify="right")

    def cells(row: ProgressRow, colour: bool) -> list[str]:
        p = row.pace
        style = "red" if p is not None and p < 0.95 else ("yellow" if p is not None and p < 1.0 else "green")
        pace = "" if p is None else (f"[{style}]{p:.1%}[/]" if colour else f"{p:.1%}")
        target = _bn(row.target) + ("*" if row.illustrative else "")
        return [row.code, row.name, _bn(row.ytd), target, _bn(row.plan_to_date), pace, _bn(row.projected)]

    for row in progress.departments:
        table.add_row(*cells(row, colour=True))
    table.add_section()
    table.add_row(*cells(progress.national, colour=False))
    return table
