"""Exactly once under SIGKILL: the consumer is killed repeatedly while a stream flows, and totals stay exact."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from pathlib import Path

import duckdb
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from tests.support.factories import declaration, encode, revenue
from tests.support.services import ConsumerProcess, sample

DEPTS = ["01", "02", "03", "15", "18", "43", "47", "51"]
REVENUE, DECLARATIONS, BAD, REDELIVERED = 170_000, 30_000, 2_000, 5_000
KILLS = 20
RATE = 2_600  # messages a second: the stream usually outlasts the kills (each restart takes about 3 s)
TAIL = 2_000  # the stream's last messages are sent only after the last kill


def _workload(rng: random.Random) -> tuple[list[tuple[str, str, bytes]], Counter]:
    messages: list[tuple[str, str, bytes]] = []
    collected: Counter = Counter()
    for i in range(REVENUE):
        dept = rng.choice(DEPTS)
        amount = rng.randrange(1, 5 * 10**11)
        event = revenue(event_id=f"k-{i}", department_code=dept, office_code=None, amount_vnd=amount)
        messages.append(("customs.revenue", dept, encode({**event, "occurred_at": f"2021-0{1 + i % 9}-15T10:00:00+07:00"})))
        collected[dept] += amount
    for i in range(DECLARATIONS):
        messages.append(("customs.declarations", "03", encode(declaration(event_id=f"kd-{i}", channel=("green", "yellow", "red")[i % 3]))))
    rng.shuffle(messages)
    for i in range(BAD):  # half not UTF-8, half from a department that does not exist
        bad = b"\xff not json %d" % i if i % 2 else encode(revenue(event_id=f"kb-{i}", department_code="99", office_code=None))
        messages.insert(rng.randrange(len(messages)), ("customs.revenue", "99", bad))
    for i in rng.sample(range(len(messages)), REDELIVERED):
        topic, key, value = messages[i]
        if not value.startswith(b"\xff") and b'"99"' not in value:
            messages.append((topic, key, value))
    return messages, collected


def test_sigkill_during_a_stream_loses_and_doubles_nothing(bootstrap: str, tmp_path: Path) -> None:
    """Twenty SIGKILLs while about 207,000 messages flow; DuckDB, /metrics and the DLQ equal what was sent."""
    rng = random.Random(42)
    stream, collected = _workload(rng)
    redelivered = len(stream) - REVENUE - DECLARATIONS - BAD
    assert redelivered > 4_900

    kills_done = threading.Event()

    def produce() -> None:
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        started = time.monotonic()
        for n, (topic, key, value) in enumerate(stream):
            if n == len(stream) - TAIL:
                kills_done.wait(600)  # the tail waits for the last kill: every kill lands mid-stream, at any speed
            producer.send(topic, key=key.encode(), value=value)
            if n % 1000 == 999:
                ahead = n / RATE - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
        producer.flush()
        producer.close()

    db = tmp_path / "crash.duckdb"
    consumer = ConsumerProcess(bootstrap, db, tmp_path / "consumer.log").start()
    producer = threading.Thread(target=produce)
    producer.start()
    kills, mid_stream, progress = 0, 0, []
    while kills < KILLS:
        time.sleep(rng.uniform(0.2, 2.0))
        handled = sum(v for (n, _), v in consumer.samples().items() if n == "customs_kpi_records_total")
        progress.append(handled)
        mid_stream += 0 < handled < len(stream)
        consumer.kill()
        kills += 1
        consumer.start()
    kills_done.set()
    producer.join()
    samples = consumer.wait_for_records(len(stream), timeout=240)
    assert consumer.stop() == 0
    print(f"\n{kills} kills; records handled at each kill: {[int(p) for p in progress]}")

    assert mid_stream >= KILLS - 2  # the kills really hit a flowing stream (the first may come before anything is stored)
    assert progress == sorted(progress)  # what was stored stays stored
    assert sample(samples, "customs_kpi_records_total", topic="customs.revenue", outcome="accepted") == REVENUE
    assert sample(samples, "customs_kpi_records_total", topic="customs.declarations", outcome="accepted") == DECLARATIONS
    duplicates = sum(v for (n, labels), v in samples.items() if n == "customs_kpi_records_total" and ("outcome", "duplicate") in labels)
    assert duplicates == redelivered
    assert sum(v for (n, labels), v in samples.items() if n == "customs_kpi_records_total" and ("outcome", "rejected") in labels) == BAD
    for dept in DEPTS:
        assert sample(samples, "customs_revenue_collected_vnd_total", department=dept) == collected[dept]

    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT event_id) FROM revenue").fetchone() == (REVENUE, REVENUE)
    assert con.execute("SELECT count(*) FROM declarations").fetchone()[0] == DECLARATIONS
    assert dict(con.execute("SELECT department_code, sum(amount_vnd) FROM revenue GROUP BY 1").fetchall()) == dict(collected)
    assert con.execute("SELECT count(*) FROM duplicates").fetchone()[0] == redelivered
    assert dict(con.execute("SELECT reason, count(*) FROM rejects GROUP BY 1").fetchall()) == {
        "invalid_utf8": BAD // 2,
        "unknown_department": BAD // 2,
    }
    assert con.execute("SELECT count(*) FROM rejects WHERE NOT dlq_published").fetchone()[0] == 0
    rejected_at = set(con.execute("SELECT source_topic, source_partition, source_offset FROM rejects").fetchall())
    assert con.execute("SELECT sum(next_offset) FROM consumer_offsets").fetchone()[0] == len(stream)
    con.close()

    # The DLQ holds every reject (a copy sent just before a kill may be there twice: at least once).
    dlq = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    dlq.assign([TopicPartition("customs.dlq", p) for p in dlq.partitions_for_topic("customs.dlq")])
    copies: set[tuple[str, int, int]] = set()
    total, deadline = 0, time.monotonic() + 60
    while len(copies) < BAD and time.monotonic() < deadline:
        for records in dlq.poll(timeout_ms=500).values():
            for r in records:
                h = {k: v.decode() for k, v in r.headers}
                copies.add((h["customs_kpi.source_topic"], int(h["customs_kpi.source_partition"]), int(h["customs_kpi.source_offset"])))
                total += 1
    dlq.close()
    assert copies == rejected_at
    print(f"DLQ: {total} copies of {BAD} rejects")
