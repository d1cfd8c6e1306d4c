"""The moving parts: `consume`, `produce simulate|replay`, `snapshot` and the `demo`."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from streams.cli.common import DEFAULT_DB, DEMO_DIR, Bootstrap, Db, LakeData, LakeOpt, setup_logging, simulation_plan
from streams.cli.settings import cache_dir, kafka_connection, on_stop_signals, stop_event_on_signals
from streams.config import ConsumerSettings, lake_for
from streams.produce.sender import SendReport

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
    batch_wait: Annotated[
        int, typer.Option(help="Milliseconds a small batch waits for more records before it is written (0 = write each poll at once).")
    ] = 500,
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
    replica: Annotated[
        str | None,
        typer.Option(
            envvar="CUSTOMS_KPI_REPLICA",
            help="This process's name in a replica pair sharing --lake (docs/RELIABILITY.md): it stores everything in its own "
            "--db and publishes the lake only while elected leader.",
        ),
    ] = None,
    leader_group: Annotated[str, typer.Option(help="A replica pair's election group (one per lake).")] = "customs-kpi-leader",
    leader_session_timeout: Annotated[
        float, typer.Option(help="Seconds a silent leader keeps its election before the other replica takes over.")
    ] = 6.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Consume the event topics into DuckDB exactly once, serving /metrics, until SIGTERM or SIGINT."""
    from streams.consume.runner import serving

    setup_logging(verbose)
    where = lake_for(db, lake, lake_data)  # a bad --lake fails here, before anything starts, even with no lake to publish
    settings = ConsumerSettings(
        kafka=kafka_connection(bootstrap),
        db_path=db,
        metrics_port=metrics_port,
        metrics_host=metrics_host,
        clock=clock,
        targets_file=targets,
        group_id=group_id,
        partitions=partitions,
        max_poll_records=max_poll_records,
        batch_wait_ms=batch_wait,
        lake=None if publish_every == 0 else where,
        publish_every_s=publish_every,
        maintain_every_s=maintain_every,
        memory_limit=memory_limit,
        replica=replica,
        leader_group=leader_group,
        leader_session_timeout_ms=round(leader_session_timeout * 1000),
    )
    with serving(settings) as pipeline, on_stop_signals(pipeline.stop):
        pipeline.run()  # the batch in hand is finished and committed before it returns


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
    spread: Annotated[
        float,
        typer.Option(help="How far departments end their year from their targets, and their months from the curve (0 = exactly on)."),
    ] = 0.1,
) -> None:
    """Send seeded synthetic events (ILLUSTRATIVE figures) for all 35 departments."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from streams.kafka.topics import check_reachable
    from streams.kpi.targets import load_targets
    from streams.produce.run import play
    from streams.produce.sender import EventSender
    from streams.produce.simulator import SimEvent, Simulator

    plan = simulation_plan(start, end, events_per_day, seed, performance, behind or [], silent or [], spread)
    connection = kafka_connection(bootstrap)
    simulator = Simulator(plan, load_targets(targets))
    check_reachable(connection)
    sender = EventSender(connection)
    total_days = (plan.end - plan.start).total_seconds() / 86400
    columns = (TextColumn("simulating"), BarColumn(), TextColumn("{task.fields[day]}"), TextColumn("{task.fields[sent]} events"))
    with Progress(*columns, TimeElapsedColumn()) as progress, stop_event_on_signals() as stop:
        task = progress.add_task("sim", total=total_days, day="", sent=0)

        def tick(count: int, event: SimEvent) -> None:
            t = event.occurred_at
            progress.update(task, completed=(t - plan.start).total_seconds() / 86400, day=t.date().isoformat(), sent=count)

        report = play(simulator.events(), sender, days_per_second=days_per_second, stop=stop, on_progress=tick)
        progress.update(task, completed=total_days, sent=report.sent)
    _sent(report)


@produce_app.command("replay")
def replay(
    files: Annotated[list[Path], typer.Argument(help="JSON Lines (.jsonl/.ndjson), CSV or Parquet files of contract events.")],
    bootstrap: Bootstrap = "127.0.0.1:19092",
    topic: Annotated[str | None, typer.Option(help="Topic for events whose event_type is missing or unknown.")] = None,
) -> None:
    """Send events from files to their topics, with a progress bar and a summary."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from streams.kafka.topics import check_reachable
    from streams.produce.replay import read_events, send_all
    from streams.produce.sender import EventSender

    connection = kafka_connection(bootstrap)
    messages = [m for path in files for m in read_events(path)]
    check_reachable(connection)
    with Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as progress:
        task = progress.add_task("replay", total=len(messages))
        report = send_all(messages, EventSender(connection), topic, lambda n: progress.update(task, completed=n))
    _sent(report)


def _sent(report: SendReport) -> None:
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
    from streams.cli.output import read_side
    from streams.read import write_portable

    side = read_side(db, lake, lake_data)
    side.check_output(to, "--to")
    rows = write_portable(db, side.lake, to)
    typer.echo(f"wrote {to}: {rows:,} events")


def demo(
    port: Annotated[int, typer.Option(help="Kafka client port.")] = 19092,
    metrics_port: Annotated[int, typer.Option(help="Port of /metrics.")] = 9464,
    workdir: Annotated[Path, typer.Option(help="Where the broker data, DuckDB file and logs go.")] = DEMO_DIR,
    days_per_second: Annotated[float, typer.Option(help="Simulated days per second (2 = a year in about 3 minutes).")] = 2.0,
    events_per_day: Annotated[int, typer.Option(help="Events per simulated day.")] = 600,
    behind: Annotated[list[str] | None, typer.Option(help="DEPT=FACTOR to make a department fall behind.")] = None,
    start: Annotated[str, typer.Option(help="First simulated day.")] = "2021-01-01",
    end: Annotated[str, typer.Option(help="Day after the last simulated day.")] = "2022-01-01",
    exit_when_done: Annotated[bool, typer.Option(help="Stop everything once the simulated year is consumed.")] = False,
) -> None:
    """Local demo: broker, consumer and a year of simulated events, with a live progress table."""
    import time
    from datetime import timedelta

    from rich.console import Console
    from rich.live import Live

    from streams.cli.analysts import write_report
    from streams.cli.output import progress_table, read_side
    from streams.demo import Demo
    from streams.observe.console import progress

    plan = simulation_plan(start, end, events_per_day, 2021, 1.0, behind if behind is not None else ["03=0.85"], [], 0.1)
    console = Console()
    briefing: Path | None = None
    run = Demo.at(workdir, port, metrics_port)
    interrupted = False
    try:
        with console.status("starting the Kafka broker (the first run downloads its jars with Maven)..."):
            run.start_broker(cache_dir())
        run.start_streams(plan, days_per_second)
        console.print(f"Kafka: {run.bootstrap}   metrics: {run.metrics_url}   DuckDB: {run.db}   logs: {run.workdir}/*.log")
        behind_text = ", ".join(f"{code} at {factor:.0%}" for code, factor in plan.behind.items()) or "none"
        console.print(
            f"Simulating {plan.start.date()} to {plan.end.date()} (ILLUSTRATIVE data) at {days_per_second:g} days per second; "
            f"made to fall behind: {behind_text}. Press Ctrl-C to stop everything."
        )
        with Live(console=console, refresh_per_second=2) as live:
            settled = 0
            while True:
                if run.consumer_exit() is not None:
                    console.print(f"[red]the consumer exited ({run.consumer_exit()}); see {run.workdir / 'consumer.log'}[/]")
                    raise typer.Exit(1)
                samples = run.samples()
                if samples:
                    live.update(progress_table(progress(samples)))
                if run.caught_up(samples):
                    settled += 1
                    if settled == 3 and briefing is None:  # the simulated year is stored: its briefing
                        briefing = run.workdir / "briefing.html"
                        write_report(read_side(run.db), (plan.end - timedelta(days=1)).date(), "vi", briefing)
                        live.console.print(f"The briefing for {(plan.end - timedelta(days=1)).date()}: {briefing}")
                    if exit_when_done and settled >= 3:
                        break
                time.sleep(1.0)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        code = run.stop()
        if not console.is_terminal:  # Live leaves its last frame without a line end when not on a terminal
            console.line()
        console.print(f"stopped. The DuckDB file stays at {run.db}" + (" (interrupted)" if interrupted else ""))
        me, db = _command(), _shown(run.db)
        lines = [
            "Query it (the reading commands default to var/customs.duckdb, so give them the demo's):",
            f"  $ {me} query behind_pace --db {db}",
            f'  $ {me} sql "SELECT count(*) FROM revenue" --db {db}',
        ]
        if briefing is not None:
            lines += [f"The briefing: {briefing}; a PDF of any day:", f"  $ {me} report --as-of 2021-12-31 --output briefing.pdf --db {db}"]
        for line in lines:  # commands to copy: never wrapped or styled
            console.print(line, highlight=False, soft_wrap=True, markup=False)
    raise typer.Exit(code)


def _command() -> str:
    """How this command was typed (.venv/bin/customs-kpi after `make demo`), for lines to copy."""
    typed = sys.argv[0]
    return _shown(Path(typed)) if Path(typed).name == "customs-kpi" and "/" in typed else "customs-kpi"


def _shown(path: Path) -> str:
    """A path as the user would type it here: relative to the current folder when under it."""
    path = path.absolute()
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)
