"""The environment, read here and nowhere else: Kafka connection settings, the cache folder, signals.

| variable | values |
|---|---|
| CUSTOMS_KPI_KAFKA_SECURITY_PROTOCOL | PLAINTEXT (default), SSL, SASL_PLAINTEXT, SASL_SSL |
| CUSTOMS_KPI_KAFKA_SASL_MECHANISM | PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (for SASL_*) |
| CUSTOMS_KPI_KAFKA_SASL_USERNAME, CUSTOMS_KPI_KAFKA_SASL_PASSWORD | the SASL credentials |
| CUSTOMS_KPI_KAFKA_SSL_CAFILE | PEM file of the CA that signed the broker's certificate (SSL, SASL_SSL) |
| CUSTOMS_KPI_KAFKA_SSL_CERTFILE, CUSTOMS_KPI_KAFKA_SSL_KEYFILE | client certificate and key, for brokers that want one |
| CUSTOMS_KPI_KAFKA_SSL_CHECK_HOSTNAME | true (default) or false |
| CUSTOMS_KPI_CACHE_DIR | where the broker's jars are kept (default $XDG_CACHE_HOME/customs-kpi or ~/.cache/customs-kpi) |

Credentials come from the environment only, never from a flag (a process list or a shell history
would show it), a file in the repository or a log line.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from streams.config import KAFKA_ENV, KafkaConnection, Secret
from streams.errors import ConfigError

log = logging.getLogger(__name__)


def kafka_connection(bootstrap: str, env: Mapping[str, str] | None = None) -> KafkaConnection:
    """The connection every Kafka client of a command uses; a bad setting is a ConfigError naming it."""
    env = os.environ if env is None else env

    def get(name: str) -> str | None:
        value = env.get(KAFKA_ENV + name)
        return value.strip() if value is not None and value.strip() else None

    def path(name: str) -> Path | None:
        value = get(name)
        return None if value is None else Path(value)

    check = (get("SSL_CHECK_HOSTNAME") or "true").lower()
    if check not in ("true", "false"):
        raise ConfigError(KAFKA_ENV + "SSL_CHECK_HOSTNAME", check, "true or false")
    password = env.get(KAFKA_ENV + "SASL_PASSWORD")  # not stripped: a password may end in a space
    return KafkaConnection(
        bootstrap,
        security_protocol=get("SECURITY_PROTOCOL") or "PLAINTEXT",
        sasl_mechanism=get("SASL_MECHANISM"),
        sasl_username=get("SASL_USERNAME"),
        sasl_password=Secret(password) if password else None,
        ssl_cafile=path("SSL_CAFILE"),
        ssl_certfile=path("SSL_CERTFILE"),
        ssl_keyfile=path("SSL_KEYFILE"),
        ssl_check_hostname=check == "true",
    )


def cache_dir(env: Mapping[str, str] | None = None) -> Path | None:
    """CUSTOMS_KPI_CACHE_DIR, else $XDG_CACHE_HOME/customs-kpi, else None (the default, ~/.cache/customs-kpi)."""
    env = os.environ if env is None else env
    if env.get("CUSTOMS_KPI_CACHE_DIR"):
        return Path(env["CUSTOMS_KPI_CACHE_DIR"])
    if env.get("XDG_CACHE_HOME"):
        return Path(env["XDG_CACHE_HOME"]) / "customs-kpi"
    return None


@contextmanager
def on_stop_signals(stop: Callable[[], None]) -> Iterator[None]:
    """Call stop() on SIGTERM or SIGINT while the block runs; the previous handlers come back after it."""

    def handler(signum: int, _frame: object) -> None:
        log.info("received %s; stopping after the work in hand", signal.Signals(signum).name)
        stop()

    previous = {s: signal.signal(s, handler) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, old in previous.items():
            signal.signal(s, old)


@contextmanager
def stop_event_on_signals() -> Iterator[threading.Event]:
    """An event set by SIGTERM or SIGINT while the block runs."""
    stop = threading.Event()
    with on_stop_signals(stop.set):
        yield stop
