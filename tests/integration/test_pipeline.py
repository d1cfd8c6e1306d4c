"""End to end on the real broker: another client's events land exactly once, bad ones in rejects and the DLQ."""

from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

import duckdb
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from streams.config import KafkaConnection
from streams.kafka.topics import ensure_topics
from tests.support.factories import declaration, encode, revenue, seizure
from tests.support.services import ConsumerProcess, cli, recreate_topics, sample

DEPTS = ["01", "02", "03", "15", "61"]


def _send(bootstrap: str, messages: list[tuple[str, bytes | None, bytes]]) -> None:
    """Send with a plain kafka-python producer, not the project's sender."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for topic, key, value in messages:
        producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def _workload(seed: int, n: int) -> tuple[list[tuple[str, bytes | None, bytes]], dict]:
    rng = random.Random(seed)
    messages: list[tuple[str, bytes | None, bytes]] = []
    collected, refunded = Counter(), Counter()
    accepted = Counter()
    for i in range(n):
        dept = rng.choice(DEPTS)
        kind = "refund" if i % 10 == 0 else "collection"
        amount = rng.randrange(1, 10**12)
        e = revenue(
            event_id=f"e2e-{seed}-{i}",
            department_code=dept,
            office_code=None,
            kind=kind,
            amount_vnd=amount,
            occurred_at=f"2021-0{1 + i % 9}-1{i % 10}T10:00:00+07:00",
        )
        (refunded if kind == "refund" else collected)[dept] += amount
        # no key sometimes; but a conflict must share its original's partition for "first wins" to be defined
        key = None if i % 7 == 0 and i % 400 != 1 else dept.encode()
        messages.append(("customs.revenue", key, encode(e)))
        accepted["customs.revenue"] += 1
        if i % 50 == 0:  # exact re-delivery
            messages.append(("customs.revenue", key, encode(e)))
        if i % 400 == 1:  # same id, other content
            messages.append(("customs.revenue", key, encode({**e, "amount_vnd": amount + 1})))
    for i in range(n // 4):
        messages.append(
            ("customs.declarations", b"03", encode(declaration(event_id=f"d-{seed}-{i}", channel=["green", "yellow", "red"][i % 3])))
        )
        accepted["customs.declarations"] += 1
    for i in range(n // 20):
        messages.append(("customs.seizures", b"15", encode(seizure(event_id=f"s-{seed}-{i}", department_code="15", office_code="15BB"))))
        accepted["customs.seizures"] += 1
    bad = [
        ("customs.revenue", b"\xff\xfe", "invalid_utf8"),
        ("customs.revenue", b"{nope", "invalid_json"),
        ("customs.revenue", encode(revenue(department_code="77")), "unknown_department"),
        ("customs.revenue", encode(revenue(amount_vnd=-3)), "out_of_range"),
        ("customs.revenue", encode(declaration()), "wrong_topic"),
        ("customs.declarations", encode(declaration(schema_version=2)), "unsupported_schema_version"),
        ("customs.seizures", encode(seizure(goods_value_vnd="many")), "wrong_type"),
        ("customs.seizures", b"[]", "not_an_object"),
    ]
    for topic, value, _ in bad:
        messages.insert(rng.randrange(len(messages)), (topic, None, value))
    expected = {
        "collected": collected,
        "refunded": refunded,
        "accepted": accepted,
        "duplicates": len(range(0, n, 50)),
        "conflicts": len(range(1, n, 400)),
        "bad": Counter(r for *_, r in bad),
    }
    return messages, expected


def test_other_clients_events_land_exactly(bootstrap: str, tmp_path: Path) -> None:
    """Totals per department in /metrics and DuckDB equal what was sent; every bad message is in rejects and the DLQ."""
    ensure_topics(KafkaConnection(bootstrap))
    dlq = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="latest", enable_auto_commit=False)
    dlq_parts = [TopicPartition("customs.dlq", p) for p in dlq.partitions_for_topic("customs.dlq")]
    dlq.assign(dlq_parts)
    for tp in dlq_parts:
        dlq.position(tp)  # fix the starting point before anything is sent

    messages, expected = _workload(seed=1, n=4000)
    consumer = ConsumerProcess(bootstrap, tmp_path / "e2e.duckdb", tmp_path / "consumer.log").start()
    _send(bootstrap, messages)
    samples = consumer.wait_for_records(len(messages))
    for dept in DEPTS:
        assert sample(samples, "customs_revenue_collected_vnd_total", department=dept) == expected["collected"][dept]
        assert sample(samples, "customs_revenue_refunded_vnd_total", department=dept) == expected["refunded"][dept]
    n_rejected = sum(expected["bad"].values()) + expected["conflicts"]
    assert sample(samples, "customs_kpi_records_total", topic="customs.revenue", outcome="duplicate") == expected["duplicates"]
    assert sum(v for (n, _), v in samples.items() if n == "customs_kpi_records_total" and ("outcome", "rejected") in _) == n_rejected
    assert sample(samples, "customs_declarations_total", department="03", flow="import", channel="red") == 1000 // 3
    assert consumer.stop() == 0

    con = duckdb.connect(str(tmp_path / "e2e.duckdb"), read_only=True)
    rows = con.execute(
        "SELECT department_code, sum(amount_vnd) FILTER (kind='collection'), sum(amount_vnd) FILTER (kind='refund') FROM revenue GROUP BY 1"
    ).fetchall()
    assert {d: (c, r) for d, c, r in rows} == {d: (expected["collected"][d], expected["refunded"][d]) for d in DEPTS}
    counts = dict(
        con.execute(
            "SELECT source_topic, count(*) FROM (SELECT source_topic FROM revenue UNION ALL SELECT source_topic FROM "
            "declarations UNION ALL SELECT source_topic FROM seizures) GROUP BY 1"
        ).fetchall()
    )
    assert counts == dict(expected["accepted"])
    reasons = Counter(dict(con.execute("SELECT reason, count(*) FROM rejects GROUP BY 1").fetchall()))
    assert reasons == expected["bad"] + Counter({"conflicting_duplicate": expected["conflicts"]})
    assert con.execute("SELECT raw_value FROM rejects WHERE reason = 'invalid_utf8'").fetchone()[0] == b"\xff\xfe"
    assert con.execute("SELECT count(*) FROM rejects WHERE NOT dlq_published").fetchone()[0] == 0
    con.close()

    copies = []
    for _ in range(20):
        for records in dlq.poll(timeout_ms=500).values():
            copies.extend(records)
        if len(copies) >= n_rejected:
            break
    dlq.close()
    assert len(copies) == n_rejected
    headers = Counter(dict(r.headers)["customs_kpi.reason"].decode() for r in copies)
    assert headers == reasons
    utf8 = next(r for r in copies if dict(r.headers)["customs_kpi.reason"] == b"invalid_utf8")
    assert utf8.value == b"\xff\xfe"
    assert dict(utf8.headers)["customs_kpi.source_topic"] == b"customs.revenue"
    # The reconciliation a user runs: the store against itself, its lake and the real broker's logs.
    checked = cli("verify", "--db", str(tmp_path / "e2e.duckdb"), "-b", bootstrap)
    assert "checked: offsets, broker, aggregates, lake (lake version" in checked.stdout and "no differences" in checked.stdout
    recreate_topics(bootstrap)  # the topics deleted and created again, empty: every stored offset is past its log now
    after = cli("verify", "--db", str(tmp_path / "e2e.duckdb"), "-b", bootstrap, "--show", "100", check=False)
    stored = duckdb.connect(str(tmp_path / "e2e.duckdb"), read_only=True)
    partitions = stored.execute("SELECT count(*) FROM consumer_offsets WHERE next_offset > 0").fetchone()[0]
    stored.close()
    assert after.returncode == 1 and after.stdout.count("past the log's end 0") == partitions > 0, after.stdout
    assert after.stdout.count("the topic now has id") == partitions, after.stdout


def test_restart_resumes_from_duckdb_offsets(bootstrap: str, tmp_path: Path) -> None:
    """A consumer stopped and started again reads only new messages; metrics come back from DuckDB."""
    messages, expected = _workload(seed=2, n=600)
    first, second = messages[: len(messages) // 2], messages[len(messages) // 2 :]
    db = tmp_path / "restart.duckdb"
    consumer = ConsumerProcess(bootstrap, db, tmp_path / "c.log").start()
    _send(bootstrap, first)
    consumer.wait_for_records(len(first))
    assert consumer.stop() == 0
    consumer.start()
    restored = consumer.samples()
    assert sum(v for (n, _), v in restored.items() if n == "customs_kpi_records_total") == len(first)
    _send(bootstrap, second)
    samples = consumer.wait_for_records(len(messages))
    assert consumer.stop() == 0
    assert sum(v for (n, _), v in samples.items() if n == "customs_kpi_records_total") == len(messages)
    for dept in DEPTS:
        assert sample(samples, "customs_revenue_collected_vnd_total", department=dept) == expected["collected"][dept]


def test_second_consumer_on_the_same_file_fails_fast(bootstrap: str, tmp_path: Path) -> None:
    """A second writer of one DuckDB file exits at once with exit code 3 and a clear message."""
    db = tmp_path / "one.duckdb"
    first = ConsumerProcess(bootstrap, db, tmp_path / "a.log").start()
    try:
        result = cli("consume", "-b", bootstrap, "--db", str(db), "--metrics-port", "0", timeout=60, check=False)
        assert result.returncode == 3
        message = result.stderr.replace("\n", " ")
        assert f"is open in another process (pid {first.process.pid}: " in message and " consume " in message  # type: ignore[union-attr]
        assert first.process is not None and first.process.poll() is None
    finally:
        first.stop()


def test_configuration_errors_name_the_setting(tmp_path: Path) -> None:
    """A bad setting exits with code 2, naming the setting and what is expected."""
    result = cli("consume", "-b", "not a host", "--db", str(tmp_path / "x.duckdb"), check=False)
    assert result.returncode == 2
    assert "--bootstrap-servers" in result.stderr and "HOST:PORT" in result.stderr
    result = cli("consume", "--clock", "sundial", "--db", str(tmp_path / "x.duckdb"), check=False)
    assert result.returncode == 2 and "--clock" in result.stderr and "wall or event" in result.stderr


def test_kafka_status_reports_the_running_broker(kafka_broker) -> None:  # type: ignore[no-untyped-def]
    """`customs-kpi kafka status` finds the broker the session fixture started, and its bootstrap address."""
    result = cli("kafka", "status", "--data-dir", kafka_broker.data_dir)
    assert f"bootstrap {kafka_broker.bootstrap}" in result.stdout
    stopped = cli("kafka", "status", "--data-dir", str(Path(kafka_broker.data_dir) / "nothing"), check=False)
    assert stopped.returncode == 1
