"""Exactly once under SIGKILL: the consumer is killed repeatedly while a stream flows, and totals stay exact."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from pathlib import Path

import duckdb
from kafka import KafkaProducer

from tests.factories import encode, revenue
from tests.integration.conftest import ConsumerProcess, sample

DEPTS = ["01", "02", "03", "15", "18", "43", "47", "51"]


def test_sigkill_during_a_stream_loses_and_doubles_nothing(bootstrap: str, tmp_path: Path) -> None:
    """Six SIGKILLs while 60,000 events (and 3,000 re-deliveries) flow; DuckDB and /metrics equal what was sent."""
    rng = random.Random(42)
    events = []
    collected: Counter = Counter()
    for i in range(60_000):
        dept = rng.choice(DEPTS)
        amount = rng.randrange(1, 5 * 10**11)
        events.append(
            (
                dept,
                encode(
                    revenue(
                        event_id=f"k-{i}",
                        department_code=dept,
                        office_code=None,
                        amount_vnd=amount,
                        occurred_at="2021-04-01T10:00:00+07:00",
                    )
                ),
            )
        )
        collected[dept] += amount
    redelivered = rng.sample(range(len(events)), 3000)
    stream = events + [events[i] for i in redelivered]

    def produce() -> None:
        producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
        for n, (dept, value) in enumerate(stream):
            producer.send("customs.revenue", key=dept.encode(), value=value)
            if n % 2000 == 0:
                producer.flush()
                time.sleep(0.5)  # keep the stream flowing for about 16 s, across the kills
        producer.flush()
        producer.close()

    db = tmp_path / "crash.duckdb"
    consumer = ConsumerProcess(bootstrap, db, tmp_path / "consumer.log").start()
    producer = threading.Thread(target=produce)
    producer.start()
    kills, mid_stream = 0, 0
    while kills < 6:
        time.sleep(rng.uniform(0.3, 1.2))
        handled = sum(v for (n, _), v in consumer.samples().items() if n == "customs_kpi_records_total")
        mid_stream += 0 < handled < len(stream)
        consumer.kill()
        kills += 1
        consumer.start()
    producer.join()
    samples = consumer.wait_for_records(len(stream), timeout=180)
    assert consumer.stop() == 0

    assert kills == 6
    assert mid_stream >= 4  # the kills really hit a flowing stream
    assert sample(samples, "customs_kpi_records_total", topic="customs.revenue", outcome="accepted") == len(events)
    assert sample(samples, "customs_kpi_records_total", topic="customs.revenue", outcome="duplicate") == len(redelivered)
    for dept in DEPTS:
        assert sample(samples, "customs_revenue_collected_vnd_total", department=dept) == collected[dept]
    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT event_id) FROM revenue").fetchone() == (len(events), len(events))
    assert dict(con.execute("SELECT department_code, sum(amount_vnd) FROM revenue GROUP BY 1").fetchall()) == dict(collected)
    assert con.execute("SELECT count(*) FROM duplicates").fetchone()[0] == len(redelivered)
    assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == 0
    assert con.execute("SELECT sum(next_offset) FROM consumer_offsets").fetchone()[0] == len(stream)
    con.close()
