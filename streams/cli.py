"""The `customs-kpi` command. Errors become messages and exit codes here, and only here."""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from streams.config import ConsumerSettings, check_bootstrap
from streams.errors import ConfigError, CustomsKpiError

app = typer.Typer(
    help="Streaming KPI monitor for customs revenue, declarations and seizures.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
kafka_app = typer.Typer(help="The local single-node Kafka broker (KRaft) for development, tests and the demo.", no_args_is_help=True)
produce_app = typer.Typer(help="Send events to Kafka.", no_args_is_help=True)
targets_app = typer.Typer(help="Annual revenue targets.", no_args_is_help=True)
app.add_typer(kafka_app, name="kafka")
app.add_typer(produce_app, name="produce")
dashboards_app = typer.Typer(help="Grafana dashboards as code.", no_args_is_help=True)
rejects_app = typer.Typer(help="Rejected messages: summary by reason or time (the default), and replay after a fix.")
app.add_typer(rejects_app, name="rejects")
app.add_typer(targets_app, name="targets")
app.add_typer(dashboards_app, name="dashboards")

DEFAULT_DATA = Path("var/kafka")
Bootstrap = Annotated[str, typer.Option("--bootstrap-servers", "-b", envvar="CUSTOMS_KPI_BOOTSTRAP_SERVERS", help="Kafka HOST:PORT list.")]


def _logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)


def _parse_time(value: str, setting: str) -> datetime:
    try:
        t = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(setting, value, "an ISO date or timestamp, e.g. 2021-01-01 or 2021-01-01T00:00:00+07:00") from exc
    if t.tzinfo is None:
        from streams.kpi.clock import VIETNAM

        t = t.replace(tzinfo=VIETNAM)
    return t


@kafka_app.command("up")
def kafka_up(
    port: Annotated[int, typer.Option(help="Client port on 127.0.0.1; the controller uses port+1.")] = 19092,
    data_dir: Annotated[Path, typer.Option(help="Broker storage, logs and state.")] = DEFAULT_DATA,
    heap_mb: Annotated[int, typer.Option(help="Maximum Java heap in MiB.")] = 512,
) -> None:
    """Start the broker in the background and return once it accepts requests."""
    from streams.kafka.broker import start

    state = start(data_dir, port, heap_mb)
    typer.echo(f"Kafka broker running: bootstrap {state.bootstrap}, pid {state.pid}, data {state.data_dir}")


@kafka_app.command("down")
def kafka_down(data_dir: Annotated[Path, typer.Option(help="The folder given to `kafka up`.")] = DEFAULT_DATA) -> None:
    """Stop the broker started from this data folder."""
    from streams.kafka.broker import stop

    typer.echo("Kafka broker stopped" if stop(data_dir) else f"no Kafka broker is running from {data_dir}")


@kafka_app.command("status")
def kafka_status(data_dir: Annotated[Path, typer.Option(help="The folder given to `kafka up`.")] = DEFAULT_DATA) -> None:
    """Say whether the broker runs (exit 0) or not (exit 1)."""
    from streams.kafka.broker import read_state

    state = read_state(data_dir.resolve())
    if state is None:
        typer.echo(f"no Kafka broker is running from {data_dir}")
        raise typer.Exit(1)
    typer.echo(f"Kafka broker running: bootstrap {state.bootstrap}, pid {state.pid}, data {state.data_dir}")


@app.command("topics")
def topics(
    bootstrap: Bootstrap = "127.0.0.1:19092", partitions: Annotated[int, typer.Option(help="Partitions per new topic.")] = 6
) -> None:
    """Create the three event topics and customs.dlq if they are missing."""
    from streams.kafka.topics import ensure_topics

    if partitions < 1:
        raise ConfigError("--partitions", partitions, "a whole number of at least 1")
    created = ensure_topics(check_bootstrap(bootstrap), partitions)
    typer.echo(f"created: {', '.join(created)}" if created else "all topics exist")


@app.command("consume")
def consume(
    bootstrap: Bootstrap = "127.0.0.1:19092",
    db: Annotated[Path, typer.Option(envvar="CUSTOMS_KPI_DB", help="DuckDB file (one writer per file).")] = Path("var/customs.duckdb"),
    metrics_port: Annotated[int, typer.Option(envvar="CUSTOMS_KPI_METRICS_PORT", help="Port of /metrics.")] = 9464,
    metrics_host: Annotated[str, typer.Option(envvar="CUSTOMS_KPI_METRICS_HOST", help="Address /metrics binds to.")] = "127.0.0.1",
    clock: Annotated[str, typer.Option(help="as_of for pace figures: wall (now) or event (latest occurred_at).")] = "wall",
    targets: Annotated[Path | None, typer.Option("--targets", help="Targets file (.csv or .yaml); default: the shipped one.")] = None,
    group_id: Annotated[str | None, typer.Option(help="Consumer group; default derived from the database path.")] = None,
    partitions: Annotated[int, typer.Option(help="Partitions for topics created on start.")] = 6,
    max_poll_records: Annotated[int, typer.Option(help="Largest batch per poll.")] = 20_000,
    snapshot_every: Annotated[float, typer.Option(help="Seconds between read-only snapshots for analysts (0 = none).")] = 10.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Consume the event topics into DuckDB exactly once, serving /metrics, until SIGTERM or SIGINT."""
    from streams.consume.runner import run_consumer

    _logging(verbose)
    settings = ConsumerSettings(
        bootstrap, db, metrics_port, metrics_host, clock, targets, group_id, partitions, max_poll_records, snapshot_every_s=snapshot_every
    )
    run_consumer(settings)


@produce_app.command("simulate")
def simulate(
    bootstrap: Bootstrap = "127.0.0.1:19092",
    start: Annotated[str, typer.Option(help="First simulated day (Vietnam time).")] = "2021-01-01",
    end: Annotated[str, typer.Option(help="Day after the last simulated day.")] = "2022-01-01",
    events_per_day: Annotated[int, typer.Option(help="About this many events per simulated day, nationally.")] = 1500,
    days_per_second: Annotated[
        float, typer.Option(help="Time compression: simulated days per real second; 0 = as fast as possible.")
    ] = 0.0,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same events.")] = 2021,
    performance: Annotated[float, typer.Option(help="National collections relative to target (1.0 = on target).")] = 1.0,
    behind: Annotated[
        list[str] | None, typer.Option(help="DEPT=FACTOR: that department collects FACTOR of its share (repeatable).")
    ] = None,
    silent: Annotated[
        list[str] | None,
        typer.Option(help="DEPT or DEPT@TIME: that department sends nothing (from TIME, e.g. 03@2021-03-05T12:00) (repeatable)."),
    ] = None,
    targets: Annotated[Path | None, typer.Option("--targets", help="Targets file to calibrate to.")] = None,
) -> None:
    """Send seeded synthetic events (ILLUSTRATIVE figures) for all 35 departments."""
    from streams.produce.cli import run_simulate

    plan = _plan(start, end, events_per_day, seed, performance, behind or [], silent or [])
    report = run_simulate(check_bootstrap(bootstrap), plan, days_per_second, targets)
    typer.echo(f"sent {report.sent}, failed {report.failed}" + (f" ({report.errors})" if report.errors else ""))
    if report.failed:
        raise typer.Exit(1)


def _plan(start: str, end: str, events_per_day: int, seed: int, performance: float, behind: list[str], silent: list[str]):  # type: ignore[no-untyped-def]
    from streams.contract.reference import department_codes
    from streams.produce.simulator import SimulationPlan

    factors = {}
    for item in behind:
        code, _, factor = item.partition("=")
        try:
            value = float(factor)
        except ValueError:
            value = -1.0
        if code not in department_codes() or not 0 <= value <= 10:
            raise ConfigError("--behind", item, "DEPT=FACTOR with a department code and a factor from 0 to 10, e.g. 03=0.8")
        factors[code] = value
    never, stop_at = set(), {}
    for item in silent:
        code, at, when = item.partition("@")
        if code not in department_codes():
            raise ConfigError("--silent", item, "DEPT or DEPT@TIME with a department code from reference/departments.csv, e.g. 03")
        if at:
            stop_at[code] = _parse_time(when, "--silent")
        else:
            never.add(code)
    if events_per_day < 1:
        raise ConfigError("--events-per-day", events_per_day, "a whole number of at least 1")
    first, last = _parse_time(start, "--start"), _parse_time(end, "--end")
    if last <= first:
        raise ConfigError("--end", end, f"a time after --start {start}")
    return SimulationPlan(first, last, events_per_day, seed, performance, factors, frozenset(never), stop_at)


@produce_app.command("replay")
def replay(
    files: Annotated[list[Path], typer.Argument(help="JSON Lines (.jsonl/.ndjson), CSV or Parquet files of contract events.")],
    bootstrap: Bootstrap = "127.0.0.1:19092",
    topic: Annotated[str | None, typer.Option(help="Topic for events whose event_type is missing or unknown.")] = None,
) -> None:
    """Send events from files to their topics, with a progress bar and a summary."""
    from streams.produce.cli import run_replay

    report = run_replay(check_bootstrap(bootstrap), files, topic)
    typer.echo(f"sent {report.sent}, failed {report.failed}" + (f" ({report.errors})" if report.errors else ""))
    if report.failed:
        raise typer.Exit(1)


@targets_app.command("build")
def targets_build(output: Annotated[Path, typer.Option(help="Where to write the file.")] = Path("streams/kpi/data/targets.csv")) -> None:
    """Write the default targets file: published figures plus the illustrative allocation."""
    from streams.kpi.allocation import render_targets_csv

    output.write_text(render_targets_csv(), encoding="utf-8")
    typer.echo(f"wrote {output}")


@targets_app.command("show")
def targets_show(
    year: Annotated[int, typer.Option(help="Year to show.")] = 2021,
    targets: Annotated[Path | None, typer.Option("--targets", help="Targets file; default: the shipped one.")] = None,
) -> None:
    """Print the targets of a year, marking illustrative ones."""
    from rich.table import Table

    from streams.kpi.targets import load_targets

    table = Table(title=f"Targets {year} (bn VND)")
    for column in ("scope", "level", "amount", "status", "basis"):
        table.add_column(column)
    for t in sorted(load_targets(targets).for_year(year), key=lambda t: (t.scope != "national", t.scope, t.level)):
        table.add_row(t.scope, t.level, f"{t.amount_vnd / 1e9:,.0f}", t.status, t.basis)
    Console().print(table)


@dashboards_app.command("build")
def dashboards_build(
    out: Annotated[Path, typer.Option(help="Folder for the dashboard JSON files.")] = Path("dashboards"),
    check: Annotated[bool, typer.Option("--check", help="Write nothing; exit 1 if a committed file differs from the code.")] = False,
) -> None:
    """Render the Grafana dashboards (grafana-foundation-sdk) to JSON files that Grafana provisions."""
    try:
        from streams import dashboards
    except ImportError:
        typer.echo("grafana-foundation-sdk is not installed: pip install -e '.[dashboards]' (make install does)", err=True)
        raise typer.Exit(2) from None
    if check:
        stale = dashboards.stale(out)
        if stale:
            typer.echo(f"out of date in {out}: {', '.join(stale)}; run `customs-kpi dashboards build`", err=True)
            raise typer.Exit(1)
        typer.echo(f"{out}: up to date")
        return
    for path in dashboards.write(out):
        typer.echo(f"wrote {path}")


Db = Annotated[Path, typer.Option(envvar="CUSTOMS_KPI_DB", help="The consumer's DuckDB file (its snapshot is read while it runs).")]


Reasons = Annotated[list[str] | None, typer.Option("--reason", help="Only this reason code (repeatable), e.g. unknown_department.")]
Since = Annotated[str | None, typer.Option(help="Only rejects stored at or after this time (Vietnam time unless an offset is given).")]


@rejects_app.callback(invoke_without_command=True)
def rejects(
    ctx: typer.Context,
    db: Db = Path("var/customs.duckdb"),
    by: Annotated[str, typer.Option(help="reason (counts, first and last, replay outcomes), day or hour.")] = "reason",
    reason: Reasons = None,
    since: Since = None,
) -> None:
    """Summarise stored rejects by reason, or by day or hour and reason."""
    if ctx.invoked_subcommand is not None:
        return
    from streams.rejects import summary

    summary(db, by, reason or [], _parse_time(since, "--since") if since else None)


@rejects_app.command("replay")
def rejects_replay(
    bootstrap: Bootstrap = "127.0.0.1:19092",
    db: Db = Path("var/customs.duckdb"),
    reason: Reasons = None,
    since: Since = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be sent; send nothing.")] = False,
) -> None:
    """Re-submit stored rejects to their topics after a fix to the reference data or the contract (idempotent)."""
    from streams.rejects import replay

    report = replay(db, check_bootstrap(bootstrap), reason or [], _parse_time(since, "--since") if since else None, dry_run)
    reasons = ", ".join(f"{r}: {n}" for r, n in sorted(report.by_reason.items())) or "none"
    if dry_run:
        typer.echo(f"would replay {report.selected} rejects ({reasons})")
        return
    typer.echo(f"replayed {report.sent} of {report.selected} rejects ({reasons}); failed {report.failed}")
    if report.failed:
        raise typer.Exit(1)


@app.command("sql")
def sql(
    query: Annotated[str | None, typer.Argument(help="One SELECT statement; omit it to type queries at a prompt.")] = None,
    db: Db = Path("var/customs.duckdb"),
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json (lines) or parquet.")] = "table",
    output: Annotated[Path | None, typer.Option(help="Write to this file instead of the terminal.")] = None,
    max_rows: Annotated[int, typer.Option(help="Return at most this many rows.")] = 10_000,
    timeout: Annotated[float, typer.Option(help="Stop a query after this many seconds.")] = 30.0,
) -> None:
    """Query the data read-only, whether or not the consumer is running; says how fresh the data is."""
    from streams.query import sql_command

    sql_command(db, query, fmt, output, max_rows, timeout)


@app.command("query")
def query(
    name: Annotated[
        str,
        typer.Argument(help="A ready query of sql/queries: behind_pace, shortfall_by_tax_type, red_channel_share_month, slowest_offices."),
    ],
    as_of: Annotated[str | None, typer.Option(help="now, or a timestamp; default: the latest event in the data.")] = None,
    db: Db = Path("var/customs.duckdb"),
    fmt: Annotated[str, typer.Option("--format", help="table, csv, json (lines) or parquet.")] = "table",
    output: Annotated[Path | None, typer.Option(help="Write to this file instead of the terminal.")] = None,
    max_rows: Annotated[int, typer.Option(help="Return at most this many rows.")] = 10_000,
) -> None:
    """Run a ready query that answers a question operations ask."""
    from streams.query import query_command

    query_command(db, name, as_of, fmt, output, max_rows, 60.0)


@app.command("export")
def export(
    name: Annotated[str, typer.Argument(help="A table or view, e.g. revenue or revenue_monthly.")],
    output: Annotated[Path, typer.Option(help="The file to write: .parquet (default) or .csv.")],
    db: Db = Path("var/customs.duckdb"),
    max_rows: Annotated[int, typer.Option(help="Refuse to export more rows than this.")] = 50_000_000,
) -> None:
    """Export a table or view for other tools."""
    from streams.query import export_command

    rows = export_command(db, name, output, max_rows)
    typer.echo(f"wrote {rows} rows of {name} to {output}")


@app.command("snapshot")
def snapshot(db: Db = Path("var/customs.duckdb")) -> None:
    """Ask the running consumer of this database to publish a snapshot now."""
    import os
    import signal

    from streams.consume.runner import consumer_pid_file

    pid_file = consumer_pid_file(db)
    if not pid_file.exists():
        raise ConfigError("--db", str(db), "the database of a running consumer (no pid file next to it)")
    os.kill(int(pid_file.read_text()), signal.SIGUSR1)
    typer.echo(f"asked the consumer (pid {pid_file.read_text()}) for a snapshot of {db}")


@app.command("demo")
def demo(
    port: Annotated[int, typer.Option(help="Kafka client port.")] = 19092,
    metrics_port: Annotated[int, typer.Option(help="Port of /metrics.")] = 9464,
    workdir: Annotated[Path, typer.Option(help="Where the broker data, DuckDB file and logs go.")] = Path("var/demo"),
    days_per_second: Annotated[float, typer.Option(help="Simulated days per second (2 = a year in about 3 minutes).")] = 2.0,
    events_per_day: Annotated[int, typer.Option(help="Events per simulated day.")] = 600,
    behind: Annotated[list[str] | None, typer.Option(help="DEPT=FACTOR to make a department fall behind.")] = None,
    start: Annotated[str, typer.Option(help="First simulated day.")] = "2021-01-01",
    end: Annotated[str, typer.Option(help="Day after the last simulated day.")] = "2022-01-01",
    exit_when_done: Annotated[bool, typer.Option(help="Stop everything once the simulated year is consumed.")] = False,
) -> None:
    """Local demo: broker, consumer and a year of simulated events, with a live progress table."""
    from streams.demo import run_demo

    plan = _plan(start, end, events_per_day, 2021, 1.0, behind if behind is not None else ["03=0.85"], [])
    raise typer.Exit(run_demo(workdir, port, metrics_port, days_per_second, plan, exit_when_done))


def main() -> None:
    try:
        app()
    except CustomsKpiError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(exc.exit_code)
