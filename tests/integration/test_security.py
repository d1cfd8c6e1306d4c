"""TLS and SASL against a local broker of its own with SASL_PLAINTEXT and SASL_SSL listeners.

The project's producer and consumer connect with settings from the environment only; events land;
the password never reaches a log or an error message; a wrong password is a clear failure.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from kafka import KafkaConsumer, TopicPartition

from streams.cli.settings import kafka_connection
from streams.config import KafkaConnection
from streams.errors import BrokerError
from streams.kafka import broker, clients
from streams.kafka.topics import ensure_topics
from streams.produce.sender import EventSender
from tests.support.factories import encode, revenue
from tests.support.secure_broker import SecureListeners
from tests.support.services import ConsumerProcess, cli, free_port, sample

PASSWORD = "kpi-Secret-7f3a"  # made up for this throwaway broker
P = "CUSTOMS_KPI_KAFKA_"


def _certificates(folder: Path) -> tuple[Path, Path]:
    """A CA, and a broker certificate for 127.0.0.1 signed by it: (ca.pem, keystore.pem)."""

    def openssl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=folder, check=True, capture_output=True)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=test-ca")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "broker.key", "-out", "broker.csr", "-subj", "/CN=127.0.0.1")
    (folder / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "broker.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "broker.pem",
            "-days", "2", "-extfile", "san.ext")  # fmt: skip
    openssl("pkcs8", "-topk8", "-nocrypt", "-in", "broker.key", "-out", "broker.p8")
    keystore = folder / "keystore.pem"
    keystore.write_text((folder / "broker.p8").read_text() + (folder / "broker.pem").read_text() + (folder / "ca.pem").read_text())
    return folder / "ca.pem", keystore


@pytest.fixture(scope="module")
def secure_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[broker.BrokerState, dict[str, int], Path]]:
    folder = tmp_path_factory.mktemp("tls")
    ca, keystore = _certificates(folder)
    ports = {"SASL_PLAINTEXT": free_port(), "SASL_SSL": free_port(), "SSL": free_port()}
    secure = SecureListeners({"kpi": PASSWORD}, ports["SASL_PLAINTEXT"], ports["SASL_SSL"], keystore, ports["SSL"])
    data_dir = folder / "kafka"
    state = broker.start(data_dir, free_port(pair=True), heap_mb=384, timeout=180, secure=secure)
    try:
        ensure_topics(KafkaConnection(state.bootstrap), 3)  # over the plaintext listener
        yield state, ports, ca
    finally:
        broker.stop(data_dir)


@pytest.mark.parametrize(
    ("protocol", "mechanism"),
    [("SASL_SSL", "SCRAM-SHA-256"), ("SASL_SSL", "PLAIN"), ("SASL_PLAINTEXT", "SCRAM-SHA-512"), ("SSL", None)],
)
def test_events_flow_over_sasl_and_tls(secure_broker, protocol: str, mechanism: str | None, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    state, ports, ca = secure_broker
    bootstrap = f"127.0.0.1:{ports[protocol]}"
    monkeypatch.setenv(P + "SECURITY_PROTOCOL", protocol)
    if mechanism is not None:
        monkeypatch.setenv(P + "SASL_MECHANISM", mechanism)
        monkeypatch.setenv(P + "SASL_USERNAME", "kpi")
        monkeypatch.setenv(P + "SASL_PASSWORD", PASSWORD)
    if protocol.endswith("SSL"):
        monkeypatch.setenv(P + "SSL_CAFILE", str(ca))
    run = f"{protocol}-{mechanism}"
    sender = EventSender(kafka_connection(bootstrap))  # as a command builds it, from the environment
    for i in range(500):
        sender.send("customs.revenue", b"03", encode(revenue(event_id=f"{run}-{i}", amount_vnd=1000 + i)))
    report = sender.close()
    assert (report.sent, report.failed) == (500, 0)

    db = tmp_path / "customs.duckdb"
    consumer = ConsumerProcess(bootstrap, db, tmp_path / "consumer.log", "--group-id", f"security-{run}", "--publish-every", "0").start()
    # Earlier runs in this module sent to the same topic: the consumer reads all of it.
    check = KafkaConsumer(bootstrap_servers=state.bootstrap)  # over the plaintext listener
    in_topic = sum(check.end_offsets([TopicPartition("customs.revenue", p) for p in range(3)]).values())
    check.close()
    samples = consumer.wait_for_records(in_topic)
    assert consumer.stop() == 0
    assert sample(samples, "customs_kpi_records_total", topic="customs.revenue", outcome="accepted") == in_topic
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*), sum(amount_vnd) FROM revenue WHERE event_id LIKE ?", [f"{run}-%"]).fetchone() == (
        500,
        sum(1000 + i for i in range(500)),
    )
    con.close()
    log = (tmp_path / "consumer.log").read_text()
    assert (f"({protocol} {mechanism} as kpi)" if mechanism else f"({protocol})") in log
    assert PASSWORD not in log


def test_a_wrong_password_is_a_clear_failure(secure_broker, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _state, ports, ca = secure_broker
    monkeypatch.setenv(P + "SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv(P + "SASL_MECHANISM", "SCRAM-SHA-256")
    monkeypatch.setenv(P + "SASL_USERNAME", "kpi")
    monkeypatch.setenv(P + "SASL_PASSWORD", "not-" + PASSWORD)
    monkeypatch.setenv(P + "SSL_CAFILE", str(ca))
    for attempt in range(3):  # the broker's answer and its close often arrive together: see streams/kafka/eof.py
        result = cli("produce", "simulate", "-b", f"127.0.0.1:{ports['SASL_SSL']}", "--end", "2021-01-02", check=False, timeout=120)
        assert result.returncode == 4, (attempt, result.stdout + result.stderr)
        assert "refused the login: authentication failed for user 'kpi' with SCRAM-SHA-256" in result.stderr, (attempt, result.stderr)
    assert PASSWORD not in result.stdout + result.stderr

    # The refusal ends the connection attempts at once: it does not wait out the 30 s timeout's six
    # 5 s slices (a count of attempts, not a time, so that a slow machine proves the same).
    connection = kafka_connection(f"127.0.0.1:{ports['SASL_SSL']}")
    attempts: list[int] = []
    real = clients.KafkaAdminClient
    monkeypatch.setattr(clients, "KafkaAdminClient", lambda **settings: attempts.append(1) or real(**settings))
    for _ in range(3):
        attempts.clear()
        with pytest.raises(BrokerError, match="refused the login"):
            clients.admin_client(connection, timeout_s=30)
        assert 1 <= len(attempts) <= 2, attempts  # the first slice (a second if the refusal came with the close)


def test_a_bad_setting_names_the_variable(secure_broker, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    state, _ports, _ca = secure_broker
    monkeypatch.setenv(P + "SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv(P + "SASL_MECHANISM", "GSSAPI")
    result = cli("produce", "simulate", "-b", state.bootstrap, "--end", "2021-01-02", check=False, timeout=120)
    assert result.returncode == 2
    assert "CUSTOMS_KPI_KAFKA_SASL_MECHANISM='GSSAPI' is invalid: expected PLAIN or SCRAM-SHA-256 or SCRAM-SHA-512" in result.stderr
