"""Read-only access for analysts: `sql`, `query` and `export`, on the lake the consumer publishes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from streams.cli.common import DEFAULT_DB, Db, LakeData, LakeOpt, as_flag, parse_time
from streams.errors import ConfigError

if TYPE_CHECKING:
    from datetime import date

    from streams.cli.output import ReadSide
    from streams.read import QueryResult

Format = Annotated[str, typer.Option("--format", help="table, csv, json (lines) or parquet.")]
Output = Annotated[Path | None, typer.Option(help="Write to this file instead of the terminal.")]
MaxRows = Annotated[int, typer.Option(help="Return at most this many rows.")]


def sql(
    query: Annotated[str | None, typer.Argument(help="One SELECT statement; omit it to type queries at a prompt.")] = None,
    db: Db = DEFAULT_DB,
    lake: LakeOpt = None,
    lake_data: LakeData = None,
    fmt: Format = "table",
    output: Output = None,
    max_rows: MaxRows = 10_000,
    timeout: Annotated[float, typer.Option(help="Stop a query after this many seconds.")] = 30.0,
    version: Annotated[int | None, typer.Option("--version", help="Read the lake as of this snapshot version (time travel).")] = None,
    at: Annotated[
        str | None, typer.Option("--at", help="Read the lake as it was at this time, e.g. 2021-07-01T08:00 (Vietnam time).")
    ] = None,
) -> None:
    """Query the data read-only, whether or not the consumer is running; says how fresh the data is."""
    from streams.cli.output import err, read_side
    from streams.query import check_format
    from streams.read import run_query

    check_format(fmt, output)
    side = read_side(db, lake, lake_data)
    side.check_output(output)
    when = parse_time(at, "--at") if at else None
    with side.reading(version=version, at=when) as (con, source):
        if query is not None:
            _show(run_query(con, source, query, max_rows=max_rows, timeout_s=timeout), fmt, output, max_rows)
            return
        while True:  # queries typed at a prompt, until an empty line or the end of input
            try:
                line = input("sql> ").strip()
            except EOFError:
                return
            if not line:
                return
            try:
                _show(run_query(con, source, line, max_rows=max_rows, timeout_s=timeout), fmt, None, max_rows)
            except ConfigError as exc:
                err().print(f"error: {as_flag(exc)}")
            except Exception as exc:
                err().print(f"error: {exc}")


def _show(result: QueryResult, fmt: str, output: Path | None, max_rows: int) -> None:
    from streams.cli.output import err, write_result

    write_result(result, fmt, output)
    if result.truncated:
        err().print(f"only the first {max_rows} rows are shown (--max-rows)")


def query(
    name: Annotated[
        str,
        typer.Argument(help="A ready query of sql/queries: behind_pace, shortfall_by_tax_type, red_channel_share_month, slowest_offices."),
    ],
    as_of: Annotated[str | None, typer.Option(help="now, or a timestamp; default: the latest event in the data.")] = None,
    db: Db = DEFAULT_DB,
    lake: LakeOpt = None,
    lake_data: LakeData = None,
    fmt: Format = "table",
    output: Output = None,
    max_rows: MaxRows = 10_000,
) -> None:
    """Run a ready query that answers a question operations ask."""
    from streams.cli.output import err, read_side, write_result
    from streams.query import check_format, check_ready_query, event_clock, parse_as_of, ready_query

    check_format(fmt, output)
    side = read_side(db, lake, lake_data)
    side.check_output(output)
    check_ready_query(name)
    when = parse_as_of(as_of) if as_of else None
    with side.reading() as (con, source):
        when = when or event_clock(con, source)
        err().print(f"as_of {when.isoformat()}")
        write_result(ready_query(con, source, name, when, max_rows, 60.0), fmt, output)


def export(
    name: Annotated[str, typer.Argument(help="A table or view, e.g. revenue or revenue_monthly.")],
    output: Annotated[Path, typer.Option(help="The file to write: .parquet (default) or .csv.")],
    db: Db = DEFAULT_DB,
    lake: LakeOpt = None,
    lake_data: LakeData = None,
    max_rows: Annotated[int, typer.Option(help="Refuse to export more rows than this.")] = 50_000_000,
) -> None:
    """Export a table or view for other tools."""
    from streams.cli.output import read_side
    from streams.query import export_frame, write_frame

    side = read_side(db, lake, lake_data)
    side.check_output(output)
    with side.reading() as (con, source):
        frame = export_frame(con, source, name, max_rows)
    write_frame(frame, output)
    typer.echo(f"wrote {frame.height} rows of {name} to {output}")


def report(
    as_of: Annotated[str, typer.Option("--as-of", help="The day the briefing is for (to its end, Vietnam time), e.g. 2021-12-31.")],
    output: Annotated[Path, typer.Option(help="The file to write: .html (one self-contained file) or .pdf (printed by Chromium).")],
    lang: Annotated[str, typer.Option("--lang", help="vi (Vietnamese, the default) or en.")] = "vi",
    db: Db = DEFAULT_DB,
    lake: LakeOpt = None,
    lake_data: LakeData = None,
) -> None:
    """Write the leadership briefing for a day: revenue against targets, the league table, refunds, declarations, enforcement."""
    from datetime import date

    from streams.cli.output import read_side
    from streams.errors import ConfigError

    if lang not in ("vi", "en"):
        raise ConfigError("--lang", lang, "vi or en")
    if output.suffix.lower() not in (".html", ".pdf"):
        raise ConfigError("--output", str(output), "a file ending in .html or .pdf")
    side = read_side(db, lake, lake_data)
    side.check_output(output)
    try:
        day = date.fromisoformat(as_of)
    except ValueError as exc:
        raise ConfigError("--as-of", as_of, "a day, e.g. 2021-12-31") from exc
    from streams.kpi.clock import FIRST_DAY, LAST_DAY

    if not FIRST_DAY <= day <= LAST_DAY:
        raise ConfigError("--as-of", as_of, f"a day from {FIRST_DAY} (the contract's first day) to {LAST_DAY}")
    write_report(side, day, lang, output)
    typer.echo(f"wrote {output}")


def write_report(side: ReadSide, day: date, lang: str, output: Path) -> None:
    """The briefing for `day` from the analysts' read side, to .html or (printed by Chromium) .pdf."""
    import tempfile

    from streams.report.briefing import gather
    from streams.report.html import render
    from streams.report.pdf import print_pdf

    with side.reading() as (con, source):
        html = render(gather(con, source, day), lang)
    if output.suffix.lower() == ".html":
        output.write_text(html, encoding="utf-8")
        return
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "briefing.html"
        page.write_text(html, encoding="utf-8")
        print_pdf(page, output)
