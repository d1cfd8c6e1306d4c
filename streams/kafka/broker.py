"""Start, stop and inspect a single-node KRaft broker on loopback, as a background process."""

from __future__ import annotations

import base64
import json
import os
import shutil
import signal
import socket
import subprocess
import time
import uuid
from dataclasses import dataclass, replace
from importlib import resources
from pathlib import Path
from typing import Protocol

from streams.errors import BrokerError
from streams.kafka.classpath import broker_libs
from streams.retry import RetryPolicy

STATE_FILE = "broker.json"
LOG_FILE = "broker.log"


@dataclass(frozen=True)
class BrokerState:
    pid: int
    port: int
    controller_port: int
    data_dir: str

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"


class ExtraListeners(Protocol):
    """Listeners beside the plaintext one (TLS, SASL), e.g. tests/support/secure_broker.py's for the security tests."""

    def listeners(self) -> list[tuple[str, int]]:
        """(protocol name, port) of each extra listener on 127.0.0.1."""
        ...

    def properties(self) -> list[str]:
        """Lines for server.properties (mechanisms, login modules, keystores)."""
        ...

    def scram_credentials(self) -> list[str]:
        """StorageTool arguments that create SCRAM users when the storage is formatted."""
        ...


def server_properties(data_dir: Path, port: int, controller_port: int, secure: ExtraListeners | None = None) -> str:
    """A combined broker+controller with static voters, as the official image does."""
    extra = secure.listeners() if secure else []
    listeners = "".join(f",{name}://127.0.0.1:{p}" for name, p in extra)
    protocols = "".join(f",{name}:{name}" for name, _ in extra)
    return "\n".join(
        [
            "process.roles=broker,controller",
            "node.id=1",
            f"controller.quorum.voters=1@127.0.0.1:{controller_port}",
            f"listeners=PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller_port}{listeners}",
            f"advertised.listeners=PLAINTEXT://127.0.0.1:{port}{listeners}",
            "inter.broker.listener.name=PLAINTEXT",
            "controller.listener.names=CONTROLLER",
            f"listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT{protocols}",
            *(secure.properties() if secure else []),
            f"log.dirs={data_dir / 'logs'}",
            "num.partitions=6",
            "offsets.topic.replication.factor=1",
            "offsets.topic.num.partitions=1",
            "transaction.state.log.replication.factor=1",
            "transaction.state.log.min.isr=1",
            "share.coordinator.state.topic.replication.factor=1",
            "share.coordinator.state.topic.min.isr=1",
            "group.initial.rebalance.delay.ms=0",
            # Members may ask for sessions from 1 s (the default floor is 6 s): a replica pair's
            # election group may then fail over faster (--leader-session-timeout; 6 s by default).
            "group.min.session.timeout.ms=1000",
            "auto.create.topics.enable=false",
            "log.retention.hours=-1",
            "",
        ]
    )


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child of this process counts as gone
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def read_state(data_dir: Path) -> BrokerState | None:
    """The running broker of this data folder, or None."""
    path = data_dir / STATE_FILE
    if not path.exists():
        return None
    state = BrokerState(**json.loads(path.read_text()))
    return state if _alive(state.pid) else None


def _java() -> str:
    java = shutil.which("java")
    if java is None:
        raise BrokerError("Java 17 or later is needed to run the Kafka broker; install it (apt-get install openjdk-17-jre-headless)")
    return java


def _jvm_args(data_dir: Path, heap_mb: int, cache_dir: Path | None) -> list[str]:
    log4j = data_dir / "log4j2.properties"
    log4j.write_text(resources.files("streams.kafka").joinpath("log4j2.properties").read_text("utf-8"))
    return [
        f"-Xms{heap_mb // 2}m",
        f"-Xmx{heap_mb}m",
        "-XX:+UseG1GC",
        "-XX:MaxGCPauseMillis=20",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile=file:{log4j}",
        f"-Dkafka.logs.dir={data_dir}",
        "-cp",
        f"{broker_libs(cache_dir)}/*",
    ]


def new_cluster_id() -> str:
    """22 url-safe base64 characters, as Kafka's Uuid expects."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


def format_storage(
    data_dir: Path,
    props: Path,
    heap_mb: int,
    cluster_id: str | None = None,
    extra: list[str] | None = None,
    cache_dir: Path | None = None,
) -> None:
    """Format the KRaft storage once; an already formatted folder is kept as it is."""
    if (data_dir / "logs" / "meta.properties").exists():
        return
    cluster_id = cluster_id or new_cluster_id()  # passed as --cluster-id=ID: an ID may start with "-"
    result = subprocess.run(
        [
            _java(),
            *_jvm_args(data_dir, heap_mb, cache_dir),
            "kafka.tools.StorageTool",
            "format",
            f"--cluster-id={cluster_id}",
            "-c",
            str(props),
            "--ignore-formatted",
            *(extra or []),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BrokerError(f"formatting the broker storage in {data_dir} failed: {result.stdout[-500:]}{result.stderr[-500:]}")


def start(
    data_dir: Path,
    port: int = 19092,
    heap_mb: int = 512,
    timeout: float = 120.0,
    secure: ExtraListeners | None = None,
    cache_dir: Path | None = None,
) -> BrokerState:
    """Start the broker (or find it running) and return once it accepts requests; its jars are
    fetched once into cache_dir (default ~/.cache/customs-kpi)."""
    data_dir = data_dir.resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    running = read_state(data_dir)
    if running:
        wait_ready(running, timeout)
        return running
    if _port_open(port) or _port_open(port + 1):
        raise BrokerError(f"port {port} or {port + 1} on 127.0.0.1 is already in use; choose another with --port")
    props = data_dir / "server.properties"
    props.write_text(server_properties(data_dir, port, port + 1, secure))
    format_storage(data_dir, props, heap_mb, extra=secure.scram_credentials() if secure else None, cache_dir=cache_dir)
    log = open(data_dir / LOG_FILE, "ab")  # noqa: SIM115 - handed to the child process
    process = subprocess.Popen(
        [_java(), *_jvm_args(data_dir, heap_mb, cache_dir), "kafka.Kafka", str(props)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    state = BrokerState(process.pid, port, port + 1, str(data_dir))
    (data_dir / STATE_FILE).write_text(json.dumps(state.__dict__))
    wait_ready(state, timeout)
    return state


def wait_ready(state: BrokerState, timeout: float) -> None:
    """Wait until the broker answers a metadata request (not just until its port opens)."""
    log = str(Path(state.data_dir) / LOG_FILE)

    def answers() -> None:
        if not _alive(state.pid):  # not retried: the broker is gone
            raise BrokerError("the Kafka broker exited during start-up", log)
        _answers(state)

    try:
        replace(START_RETRIES, timeout_s=timeout).call(answers)
    except _NotReady:
        raise BrokerError(f"the Kafka broker did not become ready within {timeout:.0f} s", log) from None


class _NotReady(Exception):
    """The broker's port is closed, or it does not yet answer a metadata request."""


# Waiting for a starting broker: a look every 0.25 to 0.5 s, for the caller's timeout.
START_RETRIES = RetryPolicy("broker-start", (_NotReady,), wait_initial_s=0.25, wait_max_s=0.5)


def _answers(state: BrokerState) -> None:
    from streams.config import KafkaConnection
    from streams.kafka.clients import KafkaError, admin_client

    if not _port_open(state.port):
        raise _NotReady
    try:
        admin = admin_client(KafkaConnection(state.bootstrap), timeout_s=5, overrides={"request_timeout_ms": 5000})
        admin.describe_cluster()
        admin.close()
    except (BrokerError, KafkaError, OSError) as exc:
        raise _NotReady from exc


def stop(data_dir: Path, timeout: float = 30.0) -> bool:
    """Stop the broker of this data folder; returns False if none was running."""
    data_dir = data_dir.resolve()
    state = read_state(data_dir)
    if state is None:
        (data_dir / STATE_FILE).unlink(missing_ok=True)
        return False
    os.kill(state.pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(state.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(state.pid):
        os.kill(state.pid, signal.SIGKILL)
    (data_dir / STATE_FILE).unlink(missing_ok=True)
    return True
