"""Faults outside the consumer: a disk that refuses writes, and a broker that goes away mid-stream."""

from __future__ import annotations

import os
import random
import resource
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import duckdb
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from streams.config import KafkaConnection, default_group_id
from streams.contract.events import TOPICS
from streams.kafka import broker
from streams.kafka.topics import ensure_topics
from streams.produce.sender import EventSender
from tests.support.factories import encode, revenue
from tests.support.services import ConsumerProcess, committed_offsets, free_port, sample

DEPTS = ["01", "02", "03", "15", "18", "43"]


def _events(prefix: str, n: int, seed: int) -> tuple[list[tuple[str, bytes]], Counter]:
    rng = random.Random(seed)
    events, collected = [], Counter()
    for i in range(n):
        dept = rng.choice(DEPTS)
        amount = rng.randrange(1, 10**12)
        value = revenue(event_id=f"{prefix}-{i}", department_code=dept, office_code=None, amount_vnd=amount)
        events.append((dept, encode({**value, "occurred_at": "2021-05-04T09:00:00+07:00"})))
        collected[dept] += amount
    return events, collected


def _send(bootstrap: str, events: list[tuple[str, bytes]]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    for dept, value in events:
        producer.send("customs.revenue", key=dept.encode(), value=value)
    producer.flush()
    producer.close()


def _handled(samples: dict) -> float:
    return sum(v for (name, _), v in samples.items() if name == "customs_kpi_records_total")


def _committed(bootstrap: str, group: str) -> int:
    """The sum of the offsets the group committed to Kafka (topics start empty, so: records committed)."""
    return sum(offset for offset in committed_offsets(bootstrap, group).values() if offset > 0)


def _wait(condition, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.3)


def test_a_disk_that_refuses_writes_stops_the_stream_until_it_is_fixed(bootstrap: str, tmp_path: Path) -> None:
    """DuckDB's writes fail (the process's file-size limit: the kernel answers EFBIG, as a full disk answers ENOSPC).

    The consumer keeps the failed batch, retries with backoff, counts each failure, commits no
    offset past what DuckDB holds, and once the limit is lifted the totals are exact.
    """
    db = tmp_path / "customs.duckdb"
    first, collected_first = _events("fs-a", 20_000, 1)
    second, collected_second = _events("fs-b", 20_000, 2)
    consumer = ConsumerProcess(bootstrap, db, tmp_path / "consumer.log", "--publish-every", "1").start()
    _send(bootstrap, first)
    consumer.wait_for_records(len(first))
    assert consumer.process is not None
    pid = consumer.process.pid

    # Files may grow to 256 KiB past the log's current size: the log keeps working, DuckDB's WAL
    # and database file (several MB by now) soon cannot grow.
    limit = (tmp_path / "consumer.log").stat().st_size + 256 * 1024
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))
    _send(bootstrap, second)
    _wait(lambda: (sample(consumer.samples(), "customs_kpi_errors_total", stage="write") or 0) >= 3, 60, "three failed writes")

    during = consumer.samples()
    handled = _handled(during)
    failed = sample(during, "customs_kpi_errors_total", stage="write") or 0
    # Two more failed attempts at the same batch (the retries' waits are 1-10 s): still no progress.
    _wait(lambda: (sample(consumer.samples(), "customs_kpi_errors_total", stage="write") or 0) >= failed + 2, 60, "two more failed writes")
    later = consumer.samples()
    assert consumer.process.poll() is None  # still running, retrying
    assert _handled(later) == handled < len(first) + len(second)  # the stream waits at the failed batch
    assert sum(v for (name, _), v in later.items() if name == "customs_kpi_consumer_lag_records") == len(first) + len(second) - handled
    assert sample(later, "customs_kpi_consumer_running") == 1
    assert _committed(bootstrap, default_group_id(db)) <= handled  # Kafka never hears of offsets DuckDB lacks
    log = (tmp_path / "consumer.log").read_text()
    assert "writing a batch of" in log and "File too large" in log

    resource.prlimit(pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    lifted = time.monotonic()
    samples = consumer.wait_for_records(len(first) + len(second), timeout=120)
    print(
        f"\nwrites refused: stalled at {handled:.0f} of {len(first) + len(second)} records, "
        f"{sample(samples, 'customs_kpi_errors_total', stage='write'):.0f} failed attempts; "
        f"all stored {time.monotonic() - lifted:.1f} s after the limit was lifted"
    )
    assert consumer.process.pid == pid  # the same process recovered by itself
    errors = sample(samples, "customs_kpi_errors_total", stage="write")
    assert errors is not None and errors >= 3
    assert sample(samples, "customs_kpi_records_total", topic="customs.revenue", outcome="accepted") == len(first) + len(second)
    assert (sample(samples, "customs_kpi_records_total", topic="customs.revenue", outcome="duplicate") or 0) == 0
    collected = collected_first + collected_second
    for dept in DEPTS:
        assert sample(samples, "customs_revenue_collected_vnd_total", department=dept) == collected[dept]
    _wait(lambda: _committed(bootstrap, default_group_id(db)) == len(first) + len(second), 30, "Kafka's offsets catching up")
    assert consumer.stop() == 0

    con = duckdb.connect(str(db), read_only=True)
    assert con.execute("SELECT count(*), count(DISTINCT event_id) FROM revenue").fetchone() == (40_000, 40_000)
    assert dict(con.execute("SELECT department_code, sum(amount_vnd) FROM revenue GROUP BY 1").fetchall()) == dict(collected)
    assert con.execute("SELECT sum(next_offset) FROM consumer_offsets").fetchone()[0] == 40_000
    assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == 0
    con.close()


def test_a_broker_restart_mid_stream_loses_and_doubles_nothing(tmp_path: Path) -> None:
    """A broker of its own is killed (SIGKILL) while the project's producer and the consumer are both busy.

    Nothing is restarted by hand except the broker: the producer's idempotent retries and the
    consumer's reconnects carry on, every event is acknowledged once, and the totals are exact.
    """
    data_dir = tmp_path / "kafka"
    state = broker.start(data_dir, free_port(pair=True), heap_mb=384, timeout=180)
    try:
        ensure_topics(KafkaConnection(state.bootstrap), 3)
        events, collected = _events("br", 30_000, 3)
        consumer = ConsumerProcess(state.bootstrap, tmp_path / "customs.duckdb", tmp_path / "consumer.log", "--partitions", "3").start()
        sender = EventSender(KafkaConnection(state.bootstrap), linger_ms=5)
        sent_before = threading.Event()

        def produce() -> None:
            for n, (dept, value) in enumerate(events):
                sender.send("customs.revenue", dept.encode(), value)
                if n % 1000 == 999:
                    time.sleep(0.25)  # about 4,000 a second: the stream runs for 7-8 s plus the outage
                if n == 12_000:
                    sent_before.set()

        producer = threading.Thread(target=produce)
        producer.start()
        assert sent_before.wait(60)
        killed = time.monotonic()
        os.kill(state.pid, signal.SIGKILL)  # no clean shutdown
        _wait(lambda: not broker._alive(state.pid), 30, "the broker's death")
        time.sleep(8)
        state = broker.start(data_dir, state.port, heap_mb=384, timeout=180)
        back = time.monotonic()
        producer.join(timeout=180)
        report = sender.close()
        assert (report.sent, report.failed) == (len(events), 0), report.errors

        samples = consumer.wait_for_records(len(events), timeout=180)
        poll_errors = sample(samples, "customs_kpi_errors_total", stage="poll")
        print(
            f"\nbroker down {back - killed:.1f} s (8 s dead, then start-up); all {len(events)} events acknowledged once and stored "
            f"{time.monotonic() - back:.1f} s after it was back; consumer poll errors {poll_errors:.0f}"
        )
        assert consumer.process is not None and consumer.process.poll() is None
        assert sample(samples, "customs_kpi_records_total", topic="customs.revenue", outcome="accepted") == len(events)
        assert (sample(samples, "customs_kpi_records_total", topic="customs.revenue", outcome="duplicate") or 0) == 0
        for dept in DEPTS:
            assert sample(samples, "customs_revenue_collected_vnd_total", department=dept) == collected[dept]
        # The idempotent producer wrote each event to the log once, retries and all.
        check = KafkaConsumer(bootstrap_servers=state.bootstrap)
        partitions = [TopicPartition("customs.revenue", p) for p in check.partitions_for_topic("customs.revenue")]
        assert sum(check.end_offsets(partitions).values()) == len(events)
        assert all(t in check.topics() for t in TOPICS)
        check.close()
        assert consumer.stop() == 0
        con = duckdb.connect(str(tmp_path / "customs.duckdb"), read_only=True)
        assert dict(con.execute("SELECT department_code, sum(amount_vnd) FROM revenue GROUP BY 1").fetchall()) == dict(collected)
        assert con.execute("SELECT sum(next_offset) FROM consumer_offsets").fetchone()[0] == len(events)
        con.close()

        # A broker that does not come back: every send is reported failed, none is counted as sent.
        timeouts = {"delivery_timeout_ms": 3000, "request_timeout_ms": 2000, "max_block_ms": 5000}
        stranded = EventSender(KafkaConnection(state.bootstrap), linger_ms=5, overrides=timeouts)
        stranded.send("customs.revenue", b"01", events[0][1])
        stranded.flush(10)  # delivered, and the topic's metadata known
        broker.stop(data_dir)
        for dept, value in events[1:101]:
            stranded.send("customs.revenue", dept.encode(), value)
        report = stranded.close(timeout_s=30)
        assert (report.sent, report.failed) == (1, 100), report.errors
    finally:
        broker.stop(data_dir)
