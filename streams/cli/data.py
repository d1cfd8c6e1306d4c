"""Reference and output data: `targets`, `dashboards`, `rejects` and `aggregates`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from streams.cli.common import DEFAULT_DB, Bootstrap, Db, LakeData, LakeOpt, existing, parse_time
from streams.config import lake_for
from streams.errors import ConfigError

if TYPE_CHECKING:
    from streams.config import Lake
    from streams.store import EventStore

targets_app = typer.Typer(help="Annual revenue targets.", no_args_is_help=True)
dashboards_app = typer.Typer(help="Grafana dashboards as code.", no_args_is_help=True)
rejects_app = typer.Typer(help="Rejected messages: summary by reason or time (the default), and replay after a fix.")
offsets_app = typer.Typer(help="Where the consumer continues in each partition.", no_args_is_help=True)
lake_app = typer.Typer(help="The analysts' lake the consumer publishes to.", no_args_is_help=True)
aggregates_app = typer.Typer(help="The aggregate tables behind /metrics: check them against the rows, or rebuild.", no_args_is_help=True)

Reasons = Annotated[list[str] | None, typer.Option("--reason", help="Only this reason code (repeatable), e.g. unknown_department.")]
Since = Annotated[str | None, typer.Option(help="Only rejects stored at or after this time (Vietnam time unless an offset is given).")]


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

    from streams.kpi.display import billions
    from streams.kpi.targets import load_targets

    table = Table(title=f"Targets {year} (bn VND)")
    for column in ("scope", "level", "amount", "status", "basis"):
        table.add_column(column)
    for t in sorted(load_targets(targets).for_year(year), key=lambda t: (t.scope != "national", t.scope, t.level)):
        table.add_row(t.scope, t.level, billions(t.amount_vnd, decimals=0), t.status, t.basis)
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


@rejects_app.callback(invoke_without_command=True)
def rejects(
    ctx: typer.Context,
    db: Db = DEFAULT_DB,
    lake: LakeOpt = None,
    lake_data: LakeData = None,
    by: Annotated[str, typer.Option(help="reason (counts, first and last, replay outcomes), day or hour.")] = "reason",
    reason: Reasons = None,
    since: Since = None,
) -> None:
    """Summarise stored rejects by reason, or by day or hour and reason."""
    if ctx.invoked_subcommand is not None:
        return
    from streams.cli.output import print_rejects, read_side
    from streams.rejects import GROUPINGS, summary

    if by not in GROUPINGS:
        raise ConfigError("--by", by, f"one of {', '.join(GROUPINGS)}")
    when = parse_time(since, "--since") if since else None
    with read_side(db, lake, lake_data).reading() as (con, _source):
        found = summary(con, by, reason or [], when)
    print_rejects(found)


@rejects_app.command("replay")
def rejects_replay(
    bootstrap: Bootstrap = "127.0.0.1:19092",
    db: Db = DEFAULT_DB,
    lake: LakeOpt = None,
    lake_data: LakeData = None,
    reason: Reasons = None,
    since: Since = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be sent; send nothing.")] = False,
) -> None:
    """Re-submit stored rejects to their topics after a fix to the reference data or the contract (idempotent)."""
    from streams.cli.output import read_side
    from streams.cli.settings import kafka_connection
    from streams.rejects import replay, to_replay

    connection = kafka_connection(bootstrap)
    when = parse_time(since, "--since") if since else None
    with read_side(db, lake, lake_data).reading() as (con, _source):
        selected = to_replay(con, reason or [], when)
    if dry_run:
        reasons = ", ".join(f"{r}: {n}" for r, n in sorted(selected.by_reason.items())) or "none"
        typer.echo(f"would replay {len(selected.rows)} rejects ({reasons})")
        return
    report = replay(selected, connection)
    reasons = ", ".join(f"{r}: {n}" for r, n in sorted(report.by_reason.items())) or "none"
    typer.echo(f"replayed {report.sent} of {report.selected} rejects ({reasons}); failed {report.failed}")
    if report.failed:
        raise typer.Exit(1)


@aggregates_app.command("verify")
def aggregates_verify(
    db: Db = DEFAULT_DB,
    show: Annotated[int, typer.Option(help="Print at most this many differing rows per table.")] = 10,
) -> None:
    """Recompute every aggregate table from the stored rows and list the differences (exit 1 if any)."""
    from rich.table import Table

    from streams.cli.output import read_side
    from streams.store import audit

    with read_side(db, database_only=True).reading() as (con, _source):
        problems = audit(con)
    summary = Table("aggregate", "differing rows", title="Aggregates against the stored rows")
    for name, rows in problems.items():
        summary.add_row(name, f"{rows.height:,}")
    Console().print(summary)
    bad = {name: rows for name, rows in problems.items() if rows.height}
    for name, rows in bad.items():
        Console().print(f"{name}:", rows.head(show))
    if bad:
        typer.echo(f"{len(bad)} aggregate tables differ from the rows; `customs-kpi aggregates rebuild` recomputes them", err=True)
        raise typer.Exit(1)
    typer.echo("every aggregate equals its recomputation from the rows")


@aggregates_app.command("rebuild")
def aggregates_rebuild(db: Db = DEFAULT_DB, lake: LakeOpt = None, lake_data: LakeData = None) -> None:
    """Recompute every aggregate table from the stored rows, in one transaction, and the lake's copy of
    them with a rebuild of the lake if there is one (stop the consumer first)."""
    from streams.store import open_store, rebuild

    store = open_store(existing(db))
    try:
        with store.reader() as con:
            rebuild(con)
        typer.echo(f"rebuilt the aggregates of {db} from its rows")
        _rebuild_lake(store, lake_for(db, lake, lake_data), only_if_present=True)
    finally:
        store.close()


def _rebuild_lake(store: EventStore, lake: Lake, only_if_present: bool) -> None:
    """The lake's contents replaced with the store's, in one DuckLake transaction."""
    from datetime import UTC, datetime

    from streams.lake import LakeWriter

    if only_if_present and not lake.exists():
        return  # no lake beside this store: nothing to bring in line
    writer = LakeWriter(store, lake)
    try:
        done = writer.rebuild(datetime.now(UTC))
    finally:
        writer.close()
    typer.echo(f"rebuilt the lake {lake.describe()} from the store: version {done.version}, {done.events} events, {done.rejects} rejects")


@offsets_app.command("accept-new-log")
def offsets_accept_new_log(
    topic: Annotated[str, typer.Option(help="The topic whose partition was stopped, e.g. customs.revenue.")],
    partition: Annotated[int, typer.Option(help="The partition number.")],
    bootstrap: Bootstrap = "127.0.0.1:19092",
    db: Db = DEFAULT_DB,
    note: Annotated[str | None, typer.Option(help="Why, for the record (e.g. the broker's data was lost on 2026-12-01).")] = None,
) -> None:
    """Read a stopped partition's new log from its start (stop the consumer first).

    The consumer stops a partition whose log ends before the offset the database holds, or whose
    topic id is not the one stored with it: the topic was recreated or the broker's data lost. This
    asks the broker that it is so (a partition that is not stopped is refused: reading its log again
    from the start is not a new log), records the decision (offset_resets: the offset held, when, by
    whom, the note) and forgets the stored offset; event_ids already stored count as duplicates
    when they come again.
    """
    import getpass
    from datetime import UTC, datetime

    from streams.cli.settings import kafka_connection
    from streams.kafka.topics import partition_log
    from streams.store import open_store

    store = open_store(existing(db))
    try:
        held = store.stored_offsets([topic]).get((topic, partition))
        if held is not None:
            end, topic_id = partition_log(kafka_connection(bootstrap), topic, partition)
            stored_id = store.stored_topic_ids().get((topic, partition))
            if end >= held and (stored_id is None or topic_id is None or topic_id == stored_id):
                raise ConfigError(
                    "--partition",
                    f"{topic}[{partition}]",
                    f"a partition the consumer stopped: its log ends at {end}, not before the {held} the database holds, "
                    "and its topic id is the one stored, so it is the same log; nothing was changed",
                )
        before = store.accept_new_log(topic, partition, datetime.now(UTC), getpass.getuser(), note)
    finally:
        store.close()
    if before is None:
        typer.echo(f"{db} holds no offset for {topic}[{partition}]: the consumer already reads it from the log's start", err=True)
        raise typer.Exit(1)
    typer.echo(
        f"{topic}[{partition}]: the offset held ({before}) is recorded in offset_resets and forgotten; "
        "the consumer reads the new log from its start"
    )


@lake_app.command("rebuild")
def lake_rebuild(db: Db = DEFAULT_DB, lake: LakeOpt = None, lake_data: LakeData = None) -> None:
    """Replace the lake's contents with this store's, in one transaction (stop the consumer first): for a
    lake that mirrors another store or an older copy of this one, which the consumer refuses to publish into."""
    from streams.store import open_store

    store = open_store(existing(db))
    try:
        _rebuild_lake(store, lake_for(db, lake, lake_data), only_if_present=False)
    finally:
        store.close()


def restore(
    from_lake: Annotated[bool, typer.Option("--from-lake", help="Rebuild the store from the lake's newest publication.")] = False,
    db: Db = DEFAULT_DB,
    lake: LakeOpt = None,
    lake_data: LakeData = None,
    replica: Annotated[
        str | None, typer.Option(help="Restore the store of this replica of a pair: a store of its own, which takes over when elected.")
    ] = None,
) -> None:
    """Build a new store (--db must not exist) from the lake: its rows, its rejects and the Kafka offsets of its newest
    publication; `consume` then resumes exactly where the lake's rows end (for a replica whose disk was lost)."""
    from datetime import UTC, datetime

    from streams.lake import restore_from_lake

    if not from_lake:
        raise ConfigError("--from-lake", False, "--from-lake: the lake is what a store is restored from")
    done = restore_from_lake(db, lake_for(db, lake, lake_data), datetime.now(UTC), replica)
    typer.echo(
        f"restored {done.events:,} events, {done.rejects:,} rejects and the offsets of {done.partitions} partitions into {db} "
        f"(store {done.store_id} up to batch {done.batch_seq}); `customs-kpi consume` resumes from there"
    )


@lake_app.command("maintain")
def lake_maintain(db: Db = DEFAULT_DB, lake: LakeOpt = None, lake_data: LakeData = None) -> None:
    """Expire old snapshots, merge small files and delete unneeded ones now (the consumer does it every --maintain-every seconds)."""
    from datetime import UTC, datetime

    from streams.lake import maintain_lake

    upkeep = maintain_lake(lake_for(db, lake, lake_data), datetime.now(UTC))
    typer.echo(
        f"{upkeep.expired} snapshots expired, {upkeep.merged} files merged, {upkeep.removed} files deleted, "
        f"{upkeep.orphans} orphaned files deleted"
    )


@lake_app.command("views")
def lake_views(
    db: Db = DEFAULT_DB,
    lake: LakeOpt = None,
    lake_data: LakeData = None,
    attach: Annotated[
        bool, typer.Option("--attach", help="Begin with the statements that load the extensions and attach the lake read-only.")
    ] = False,
) -> None:
    """Print the curated views and macros as temporary ones, for a DuckDB session on the lake (e.g. `duckdb -init FILE`)."""
    from streams.read import lake_views_sql

    typer.echo(lake_views_sql(lake_for(db, lake, lake_data), attach))


def verify(
    db: Db = DEFAULT_DB,
    lake: LakeOpt = None,
    lake_data: LakeData = None,
    bootstrap: Annotated[
        str | None,
        typer.Option(
            "--bootstrap-servers",
            "-b",
            envvar="CUSTOMS_KPI_BOOTSTRAP_SERVERS",
            help="Kafka HOST:PORT list: also compare the stored offsets and topic ids with the broker's logs (not asked without it).",
        ),
    ] = None,
    show: Annotated[int, typer.Option(help="Print at most this many differences.")] = 50,
) -> None:
    """Check the store against itself, its lake and the broker (stop the consumer first; a running
    consumer checks the same on its own and exports customs_kpi_verify_differences). Exit 1 on any difference."""
    from rich.table import Table

    from streams.cli.settings import kafka_connection
    from streams.errors import DatabaseInUseError
    from streams.read import verify_store

    logs = None
    if bootstrap is not None:
        from streams.contract.events import TOPICS
        from streams.kafka.topics import partition_logs

        logs = partition_logs(kafka_connection(bootstrap), list(TOPICS))
    try:
        result = verify_store(db, lake_for(db, lake, lake_data), logs, lake_required=lake is not None or lake_data is not None)
    except DatabaseInUseError as exc:
        typer.echo(f"error: {exc}. A running consumer verifies its store itself: see customs_kpi_verify_differences on /metrics", err=True)
        raise typer.Exit(exc.exit_code) from None
    summary = Table("topic", "events", "duplicates", "rejects", "read (next offsets summed)", title="The store, per topic")
    for t in result.totals:
        summary.add_row(t.topic, f"{t.events:,}", f"{t.duplicates:,}", f"{t.rejects:,}", f"{t.next_offsets:,}")
    console = Console()
    console.print(summary)
    lake_note = f"lake version {result.lake_version}" if result.lake_version is not None else "no lake"
    typer.echo(f"checked: {', '.join(result.checked)} ({lake_note}{'' if logs is not None else '; broker not asked'})")
    if result.lake_version is not None and result.lake_batch != result.store_batch:
        held = "nothing" if result.lake_batch is None else f"batches up to {result.lake_batch}"
        typer.echo(
            f"note: the lake holds {held} of the store's {result.store_batch} (compared up to there); the consumer publishes the rest"
        )
    if not result.differences:
        typer.echo("no differences")
        return
    typer.echo(f"{len(result.differences)} differences (check: where: how):")
    for found in result.differences[:show]:  # one per line, unwrapped, for grep and logs
        typer.echo(f"{found.check}: {found.where}: {found.detail}")
    if len(result.differences) > show:
        typer.echo(f"... and {len(result.differences) - show} more (--show)")
    raise typer.Exit(1)


def migrate_duckdb2(
    export: Annotated[Path, typer.Argument(help="The folder EXPORT DATABASE wrote with DuckDB 2.x (see --help).")],
    to: Annotated[Path, typer.Option("--to", help="The new database file (must not exist).")],
) -> None:
    """Bring a database written by DuckDB 2.x over into a new file. First, with DuckDB 2.x in a throwaway
    virtualenv: duckdb.connect('var/customs.duckdb', read_only=True).execute("EXPORT DATABASE
    'var/customs-export' (FORMAT parquet)"); then, from the same folder, this command on that export."""
    from streams.store import import_export

    migrated = import_export(export, to)
    typer.echo(
        f"{to}: {migrated.tables} tables, {migrated.events:,} events; {migrated.left_to_the_consumer} views and macros left to the consumer"
    )
