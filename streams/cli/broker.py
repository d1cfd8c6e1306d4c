"""`kafka up|down|status` (the local broker) and `topics`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from streams.cli.common import DEFAULT_DATA, Bootstrap
from streams.cli.settings import cache_dir, kafka_connection
from streams.errors import ConfigError

kafka_app = typer.Typer(help="The local single-node Kafka broker (KRaft) for development, tests and the demo.", no_args_is_help=True)


@kafka_app.command("up")
def kafka_up(
    port: Annotated[int, typer.Option(help="Client port on 127.0.0.1; the controller uses port+1.")] = 19092,
    data_dir: Annotated[Path, typer.Option(help="Broker storage, logs and state.")] = DEFAULT_DATA,
    heap_mb: Annotated[int, typer.Option(help="Maximum Java heap in MiB.")] = 512,
) -> None:
    """Start the broker in the background and return once it accepts requests."""
    from streams.kafka.broker import start

    typer.echo(f"starting the Kafka broker on 127.0.0.1:{port} (the first run downloads its jars with Maven)...", err=True)
    state = start(data_dir, port, heap_mb, cache_dir=cache_dir())
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


def topics(
    bootstrap: Bootstrap = "127.0.0.1:19092", partitions: Annotated[int, typer.Option(help="Partitions per new topic.")] = 6
) -> None:
    """Create the three event topics and customs.dlq if they are missing."""
    from streams.kafka.topics import ensure_topics

    if partitions < 1:
        raise ConfigError("--partitions", partitions, "a whole number of at least 1")
    created = ensure_topics(kafka_connection(bootstrap), partitions)
    typer.echo(f"created: {', '.join(created)}" if created else "all topics exist")
