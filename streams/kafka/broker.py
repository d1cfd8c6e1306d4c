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
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from streams.errors import BrokerError
from streams.kafka.classpath import broker_libs

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


@dataclass(frozen=True)
class SecureListeners:
    """Extra listeners for trying TLS and SASL against the local broker (tests, rehearsals).

    sasl_port serves SASL_PLAINTEXT; sasl_ssl_port serves SASL_SSL and ssl_port TLS alone, both
    with the PEM file `keystore` (an unencrypted PKCS#8 key followed by the certificate chain). Every user may log in with
    PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512. The passwords are written into the broker's
    server.properties in its data folder, which stays on this machine.
    """

    users: dict[str, str]
    sasl_port: int | None = None
    sasl_ssl_port: int | None = None
    keystore: Path | None = None
    ssl_port: int | None = None

    def listeners(self) -> list[tuple[str, int]]:
        found = [("SASL_PLAINTEXT", self.sasl_port), ("SASL_SSL", self.sasl_ssl_port), ("SSL", self.ssl_port)]
        return [(name, port) for name, port in found if port is not None]

    def properties(self) -> list[str]:
        lines = ["sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512"]
        plain_users = " ".join(f'user_{name}="{password}"' for name, password in self.users.items())
        for name, _ in self.listeners():
            if not name.startswith("SASL_"):
                continue
            prefix = f"listener.name.{name.lower()}"
            lines.append(f"{prefix}.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required {plain_users};")
            for scram in ("scram-sha-256", "scram-sha-512"):
                lines.append(f"{prefix}.{scram}.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;")
        if self.sasl_ssl_port is not None or self.ssl_port is not None:
            if self.keystore is None:
                raise BrokerError("an SSL or SASL_SSL listener needs a PEM keystore (key and certificate chain)")
            lines += ["ssl.keystore.type=PEM", f"ssl.keystore.location={self.keystore}"]
        return lines

    def scram_credentials(self) -> list[str]:
        """StorageTool arguments that create the SCRAM users when the storage is formatted."""
        return [
            f"--add-scram={mechanism}=[name={name},password={password}]"
            for name, password in self.users.items()
            for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512")
        ]


def server_properties(data_dir: Path, port: int, controller_port: int, secure: SecureListeners | None = None) -> str:
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


def free_port(pair: bool = False) -> int:
    """A free loopback port (and the next one too, when pair is set: the broker's controller takes port + 1)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port > 65000:
            continue
        if not pair:
            return port
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port pair found")


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


def _jvm_args(data_dir: Path, heap_mb: int) -> list[str]:
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
        f"{broker_libs()}/*",
    ]


def new_cluster_id() -> str:
    """22 url-safe base64 characters, as Kafka's Uuid expects."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()


def format_storage(data_dir: Path, props: Path, heap_mb: int, cluster_id: str | None = None, extra: list[str] | None = None) -> None:
    """Format the KRaft storage once; an already formatted folder is kept as it is."""
    if (data_dir / "logs" / "meta.properties").exists():
        return
    cluster_id = cluster_id or new_cluster_id()  # passed as --cluster-id=ID: an ID may start with "-"
    result = subprocess.run(
        [
            _java(),
            *_jvm_args(data_dir, heap_mb),
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
    data_dir: Path, port: int = 19092, heap_mb: int = 512, timeout: float = 120.0, secure: SecureListeners | None = None
) -> BrokerState:
    """Start the broker (or find it running) and return once it accepts requests."""
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
    format_storage(data_dir, props, heap_mb, extra=secure.scram_credentials() if secure else None)
    log = open(data_dir / LOG_FILE, "ab")  # noqa: SIM115 - handed to the child process
    process = subprocess.Popen(
        [_java(), *_jvm_args(data_dir, heap_mb), "kafka.Kafka", str(props)],
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
    from streams.kafka.topics import admin_client

    deadline = time.monotonic() + timeout
    log = str(Path(state.data_dir) / LOG_FILE)
    while time.monotonic() < deadline:
        if not _alive(state.pid):
            raise BrokerError("the Kafka broker exited during start-up", log)
        if _port_open(state.port):
            try:
                admin = admin_client(state.bootstrap, timeout_s=5, client_config={"request_timeout_ms": 5000}, security={})
                admin.describe_cluster()
                admin.close()
                return
            except Exception:
                pass
        time.sleep(0.5)
    raise BrokerError(f"the Kafka broker did not become ready within {timeout:.0f} s", log)


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
