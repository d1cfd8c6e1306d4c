"""The moving parts: `consume`, `produce simulate|replay`, `snapshot` and the `demo`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from streams.cli.common import DEFAULT_DB, Bootstrap, Db, LakeData, LakeOpt, setup_logging, simulation_plan
from streams.config import ConsumerSettings, check_bootstrap

produce_app = typer.Typer(help="Send events to Kafka.", no_args_is_help=True)


def consume(
    bootstrap: Bootstrap = "127.0.0.1:19092",
    db: Annotated[Path, typer.Option(envvar="CUSTOMS_KPI_DB", help="DuckDB file (one writer per file).")] = DEFAULT_DB,
    metrics_port: Annotated[int, typer.Option(envvar="CUSTOMS_KPI_METRICS_PORT", help="Port of /metrics.")] = 9464,
    metrics_host: Annotated[str, typer.Option(envvar="CUSTOMS_KPI_METRICS_HOST", help="Address /metrics binds to.")] = "127.0.0.1",
    clock: Annotated[str, typer.Option(help="as_of for pace figures: wall (now) or event (latest occurred_at).")] = "wall",
    targets: Annotated[Path | None, typer.Option("--targets", help="Targets file (.csv or .yaml); default: the shipped one.")] = None,
    group_id: Annotated[str | None, typer.Option(help="Consumer group; default derived from the database path.")] = None,
    partitions: Annotated[int, typer.Option(help="Partitions for topics created on start.")] = 6,
    max_poll_records: Annotated[int, typer.Option(help="Largest batch per poll.")] = 20_000,
    publish_every: Annotated[float, typer.Option(help="Seconds between publications to the analysts' lake (0 = no lake).")] = 5.0,
    maintain_every: Annotated[
        float, typer.Option(help="Seconds between upkeeps of the lake: snapshot expiry, file merging and deletion (0 = none).")
    ] = 3600.0,
    lake: LakeOpt = None,
    lake_data: LakeData = None,
    memory_limit: Annotated[
        str | None,
        typer.Option(envvar="CUSTOMS_KPI_DB_MEMORY_LIMIT", help="Cap on DuckDB's memory, e.g. 512MB; default: DuckDB's (80% of RAM)."),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Consume the event topics into DuckDB exactly once, serving /metrics, until SIGTERM or SIGINT."""
    from streams.consume.runner import run_consumer

    setup_logging(verbose)
    settings = ConsumerSettings(
        bootstrap, db, metrics_port, metrics_host, clock, targets, group_id, partitions, max_poll_records,
        publish_every_s=publish_every, maintain_every_s=maintain_every, lake=lake, lake_data=lake_data, memory_limit=memory_limit,
    )  # fmt: skip
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

    plan = simulation_plan(start, end, events_per_day, seed, performance, behind or [], silent or [])
    report = run_simulate(check_bootstrap(bootstrap), plan, days_per_second, targets)
    typer.echo(f"sent {report.sent}, failed {report.failed}" + (f" ({report.errors})" if report.errors else ""))
    if report.failed:
        raise typer.Exit(1)


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


def snapshot(
    to: Annotated[Path, typer.Option("--to", help="The DuckDB file to write (must not exist).")],
    db: Db = DEFAULT_DB,
    lake: LakeOpt = None,
    lake_data: LakeData = None,
) -> None:
    """Copy the lake's latest snapshot (or the database, if none is published) into one portable DuckDB file."""
    from streams.store.lake import lake_for
    from streams.store.portable import write_portable

    rows = write_portable(db, lake_for(db, lake, lake_data), to)
    typer.echo(f"wrote {to}: {rows:,} events")


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

    plan = simulation_plan(start, end, events_per_day, 2021, 1.0, behind if behind is not None else ["03=0.85"], [])
    raise typer.Exit(run_demo(workdir, port, metrics_port, days_per_second, plan, exit_when_done))
