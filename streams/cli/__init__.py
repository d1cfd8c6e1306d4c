"""The `customs-kpi` command. Errors become messages and exit codes here, and only here.

The commands live by group: `broker` (kafka, topics), `stream` (consume, produce, snapshot, demo),
`data` (targets, dashboards, rejects, aggregates, offsets, lake, verify, restore) and `analysts` (sql, query, export, report).
"""

from __future__ import annotations

import sys

import typer

from streams.cli import analysts, broker, data, stream
from streams.cli.common import as_flag
from streams.errors import ConfigError, CustomsKpiError

app = typer.Typer(
    help="Streaming KPI monitor for customs revenue, declarations and seizures.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(broker.kafka_app, name="kafka")
app.add_typer(stream.produce_app, name="produce")
app.add_typer(data.rejects_app, name="rejects")
app.add_typer(data.targets_app, name="targets")
app.add_typer(data.dashboards_app, name="dashboards")
app.add_typer(data.aggregates_app, name="aggregates")
app.add_typer(data.offsets_app, name="offsets")
app.add_typer(data.lake_app, name="lake")
app.command("topics")(broker.topics)
app.command("consume")(stream.consume)
app.command("sql")(analysts.sql)
app.command("query")(analysts.query)
app.command("export")(analysts.export)
app.command("report")(analysts.report)
app.command("snapshot")(stream.snapshot)
app.command("demo")(stream.demo)
app.command("verify")(data.verify)
app.command("restore")(data.restore)
app.command("migrate-duckdb2")(data.migrate_duckdb2)


def main() -> None:
    try:
        app()
    except CustomsKpiError as exc:
        typer.echo(f"error: {as_flag(exc) if isinstance(exc, ConfigError) else exc}", err=True)
        sys.exit(exc.exit_code)
