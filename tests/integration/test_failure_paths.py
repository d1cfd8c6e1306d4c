"""The consumer's failure paths, in process, on the real broker and a real DuckDB file.

A message that makes decoding raise is rejected alone; a failure after a batch has committed
never re-runs it; only transient write errors are retried, and only the write; a bug ends the
consumer instead of retrying forever.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import pytest
import stamina
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition

from streams.config import ConsumerSettings, KafkaConnection
from streams.consume import pipeline as pipeline_module
from streams.consume.pipeline import Pipeline
from streams.consume.runner import build_pipeline
from streams.decode import isolate
from streams.kafka import clients
from streams.store import EventStore, open_store
from tests.support.factories import encode, revenue
from tests.support.ports import free_port
from tests.support.services import cli, recreate_topics


class Running:
    """A pipeline run on a thread, as `customs-kpi consume` runs it."""

    def __init__(self, pipeline: Pipeline, registry: Any, close: Callable[[], None]) -> None:
        self.pipeline, self.registry, self.close = pipeline, registry, close
        self.error: BaseException | None = None
        self.closed = False
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        try:
            self.pipeline.run()
        except BaseException as exc:
            self.error = exc

    def stop(self) -> None:
        if not self.closed:
            self.pipeline.stop()
            self.thread.join(30)
            self.close()
            self.closed = True

    def handled(self) -> float:
        """Records in committed batches (the batch-size histogram's sum)."""
        return self.metric("customs_kpi_batch_records_sum")

    def metric(self, name: str, **labels: str) -> float:
        return self.registry.get_sample_value(name, labels) or 0.0

    def wait(self, condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if self.error is not None:
                raise AssertionError(f"the pipeline ended while waiting for {what}") from self.error
            if time.monotonic() > deadline:
                raise AssertionError(f"{what} did not happen within {timeout:.0f} s (records handled: {self.handled():.0f})")
            time.sleep(0.1)


@pytest.fixture
def running(bootstrap: str, tmp_path: Path) -> Iterator[Callable[[], Running]]:
    started: list[Running] = []

    def start() -> Running:
        settings = ConsumerSettings(
            kafka=KafkaConnection(bootstrap),
            db_path=tmp_path / "customs.duckdb",
            metrics_port=free_port(),
            poll_timeout_ms=200,  # and no lake
        )
        run = Running(*build_pipeline(settings))
        run.thread.start()
        started.append(run)
        return run

    yield start
    for run in started:
        run.stop()


def _send(bootstrap: str, values: list[bytes]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for value in values:
        producer.send("customs.revenue", key=b"03", value=value)
    producer.flush()
    producer.close()


def _good(tag: str, n: int) -> tuple[list[bytes], int]:
    events = [revenue(event_id=f"{tag}-{i}", amount_vnd=1_000 + i) for i in range(n)]
    return [encode(e) for e in events], sum(e["amount_vnd"] for e in events)


def _dlq(bootstrap: str, expected: int) -> list[Any]:
    consumer = KafkaConsumer("customs.dlq", bootstrap_servers=bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=5000)
    records = []
    for record in consumer:
        records.append(record)
        if len(records) >= expected:
            break
    consumer.close()
    return records


def _stored(run: Running) -> tuple[int, int]:
    with run.pipeline.store.reader() as con:
        return con.execute("SELECT count(*), coalesce(sum(amount_vnd), 0) FROM revenue").fetchall()[0]  # type: ignore[return-value]


def test_a_message_that_makes_decoding_raise_is_rejected_alone(bootstrap: str, running: Callable[[], Running], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Two poison messages among 600 good ones: each is rejected as decode_error with the exception, the rest are stored."""
    real, isolated = isolate.decode_batch, []

    def decode_with_a_bug(spec, raw, now):  # type: ignore[no-untyped-def]
        if any(v is not None and b"POISON" in v for v in raw.values):
            isolated.extend(raw.offsets if len(raw.offsets) == 1 else [])
            raise RuntimeError("a bug met by this message")
        return real(spec, raw, now)

    monkeypatch.setattr(isolate, "decode_batch", decode_with_a_bug)
    good, total = _good("iso", 600)
    poison = [encode(revenue(event_id=f"poison-{i}", note="POISON")) for i in range(2)]
    _send(bootstrap, good[:250] + poison[:1] + good[250:] + poison[1:])
    run = running()
    run.wait(lambda: run.handled() == 602, "602 records handled")

    assert _stored(run) == (600, total)
    with run.pipeline.store.reader() as con:
        rejects = con.execute("SELECT reason, detail, raw_value FROM rejects ORDER BY source_offset").fetchall()
    assert [(r[0], r[2]) for r in rejects] == [("decode_error", p) for p in sorted(poison, key=poison.index)]
    assert all(r[1] == "decoding raised RuntimeError: a bug met by this message" for r in rejects)
    # Each isolation counted: twice, or more if a rebalance had the batch read and decoded again.
    assert len(set(isolated)) == 2 and run.metric("customs_kpi_errors_total", stage="decode") == len(isolated)
    assert run.metric("customs_kpi_records_total", topic="customs.revenue", outcome="rejected") == 2
    assert [dict(r.headers)["customs_kpi.reason"] for r in _dlq(bootstrap, 2)] == [b"decode_error"] * 2
    assert run.thread.is_alive() and run.error is None


def test_a_failure_after_the_commit_never_reruns_the_batch(bootstrap: str, running: Callable[[], Running], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Marking rejects as published fails once, after their batch committed: the consumer goes on, and the DLQ gets them later."""
    monkeypatch.setattr(pipeline_module, "DLQ_RETRY_S", 1.0)
    good, total = _good("post", 300)
    bad = [b"{broken", b"[1]", b"\xff"]
    run = running()
    real, failures = run.pipeline.store.mark_published, []

    def mark_once_failing(rejects):  # type: ignore[no-untyped-def]
        if not failures:
            failures.append(rejects.height)
            raise duckdb.IOException("IO Error: disk gone for a moment")
        return real(rejects)

    monkeypatch.setattr(run.pipeline.store, "mark_published", mark_once_failing)
    _send(bootstrap, good[:150] + bad + good[150:])
    run.wait(lambda: run.handled() >= 303, "303 records handled")
    assert run.handled() == 303  # not more: nothing handled twice
    more, more_total = _good("post-later", 100)
    _send(bootstrap, more)
    run.wait(lambda: run.handled() >= 403, "the next batches")
    assert run.handled() == 403

    assert failures == [3]
    assert _stored(run) == (400, total + more_total)
    assert run.metric("customs_kpi_errors_total", stage="dlq") == 1
    assert run.metric("customs_kpi_errors_total", stage="write") == 0  # the committed batch was not written again
    run.wait(lambda: run.metric("customs_kpi_dlq_published_records_total") >= 3, "the rejects' copies reaching the DLQ")
    with run.pipeline.store.reader() as con:
        assert con.execute("SELECT count(*), count(*) FILTER (dlq_published) FROM rejects").fetchall()[0] == (3, 3)
    # The DLQ is at least once: the failed round's copies reached the broker before the bookkeeping failed, so each is there twice.
    assert Counter(r.value for r in _dlq(bootstrap, 6)) == dict.fromkeys(bad, 2)
    assert run.error is None


@pytest.fixture
def no_retry_waits() -> Iterator[None]:
    """stamina's testing mode: retries without waits, at most 5 attempts."""
    with stamina.set_testing(True, attempts=5):
        yield


@pytest.mark.usefixtures("no_retry_waits")
def test_a_transient_write_error_retries_only_the_write(bootstrap: str, running: Callable[[], Running], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A full disk twice: the write alone is retried, each failure counted.

    The disk fails only once the consumer has stored a first batch: by then its group has settled (a
    rebalance during the retries' waits would rightly end them and read the batch again)."""
    decodes = []
    real_decode = isolate.decode_batch
    monkeypatch.setattr(isolate, "decode_batch", lambda spec, raw, now: decodes.append(len(raw.offsets)) or real_decode(spec, raw, now))
    settled, settled_total = _good("settled", 100)
    _send(bootstrap, settled)
    real_write, calls, failing = EventStore.write_batch, [], []

    def write_failing_twice(store, decoded, *args, **kwargs):  # type: ignore[no-untyped-def]
        if failing:
            calls.append(decoded)
            if len(calls) <= 2:
                raise duckdb.IOException("IO Error: could not write: No space left on device")
        return real_write(store, decoded, *args, **kwargs)

    monkeypatch.setattr(EventStore, "write_batch", write_failing_twice)
    run = running()
    run.wait(lambda: run.handled() == 100, "the first 100 records stored")
    failing.append(True)
    decodes.clear()
    good, total = _good("transient", 200)
    _send(bootstrap, good)
    run.wait(lambda: run.handled() == 300, "200 more records handled")
    assert _stored(run) == (300, settled_total + total)
    assert run.metric("customs_kpi_errors_total", stage="write") == 2
    assert calls[0] is calls[1] is calls[2]  # the write alone was retried, with the batch as decoded
    assert sum(decodes) == 200  # decoded once
    assert len(calls) == len(decodes) + 2  # each batch written once, the first one after two failures


def test_a_bug_in_the_write_ends_the_consumer(bootstrap: str, running: Callable[[], Running], monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Not a transient error: retrying would stop the stream for good while looking busy. The consumer ends with it."""
    good, _ = _good("bug", 50)
    run = running()
    calls = []

    def write_with_a_bug(*_args, **_kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        raise KeyError("a bug")

    monkeypatch.setattr(run.pipeline.store, "write_batch", write_with_a_bug)
    _send(bootstrap, good)
    run.thread.join(60)
    assert isinstance(run.error, KeyError)
    assert len(calls) == 1
    assert run.metric("customs_kpi_errors_total", stage="write") == 1
    assert _stored(run) == (0, 0)


def _send_to(bootstrap: str, partition: int, values: list[bytes]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for value in values:
        producer.send("customs.revenue", key=b"03", value=value, partition=partition)
    producer.flush()
    producer.close()


def _store_old_log(bootstrap: str, running: Callable[[], Running], stop: bool = True) -> tuple[Running, int]:
    """300 events on customs.revenue[0], stored by a consumer (stopped after, unless stop=False): (it, their sum)."""
    first, first_total = _good("old-log", 300)
    _send_to(bootstrap, 0, first)
    run = running()
    run.wait(lambda: run.handled() == 300, "the old log stored")
    if stop:
        run.stop()
    return run, first_total


def test_a_log_behind_the_database_stops_its_partition_until_accepted(
    bootstrap: str, running: Callable[[], Running], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The topics are recreated while the database is kept: the partition is stopped and says so; nothing is discarded
    unseen. `offsets accept-new-log`, recorded, lets the consumer read the new log from its start."""
    _, first_total = _store_old_log(bootstrap, running)
    forget_topic_ids = duckdb.connect(str(tmp_path / "customs.duckdb"))
    forget_topic_ids.execute("UPDATE consumer_offsets SET topic_id = NULL")  # as stored before migration 007: the ends tell
    forget_topic_ids.close()

    recreate_topics(bootstrap)  # the broker's data is gone; the new log is shorter than what DuckDB holds
    new, new_total = _good("new-log", 100)
    _send_to(bootstrap, 0, new)
    run = running()
    run.wait(lambda: run.metric("customs_kpi_partition_stopped", topic="customs.revenue", partition="0") == 1, "the partition stopped")
    polls: list[int] = []
    real_poll = run.pipeline.source.poll
    monkeypatch.setattr(run.pipeline.source, "poll", lambda *args: polls.append(1) or real_poll(*args))
    run.wait(lambda: len(polls) >= 5, "five more polls")  # nothing from the stopped partition may be taken
    assert _stored(run) == (300, first_total)
    assert run.handled() == 0
    assert run.metric("customs_kpi_partition_stopped", topic="customs.revenue", partition="1") == 0
    assert run.pipeline.source.stopped == {("customs.revenue", 0): (300, 100)}
    run.stop()

    db = str(tmp_path / "customs.duckdb")
    result = cli("offsets", "accept-new-log", "-b", bootstrap, "--db", db, "--topic", "customs.revenue", "--partition", "0",
                 "--note", "broker data lost in a test")  # fmt: skip
    assert "the offset held (300) is recorded" in result.stdout
    run = running()
    run.wait(lambda: run.handled() == 100, "the new log read from its start")
    assert _stored(run) == (400, first_total + new_total)
    assert run.metric("customs_kpi_partition_stopped", topic="customs.revenue", partition="0") == 0
    with run.pipeline.store.reader() as con:
        assert con.execute("SELECT topic, partition, stored_next_offset, note FROM offset_resets").fetchall() == [
            ("customs.revenue", 0, 300, "broker data lost in a test")
        ]


def test_a_recreated_topic_that_reaches_the_stored_offset_stops_its_partition(
    bootstrap: str, running: Callable[[], Running], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The topics are recreated while the database is kept, and the new log is already longer than what DuckDB
    holds: offset 300 exists in it, so only Kafka's topic id tells the two logs apart. The partition is stopped
    instead of read on from 300 (which skipped the new log's first 300 records, with lag 0); accepted, the new
    log is read from its start."""
    _, first_total = _store_old_log(bootstrap, running)
    store = open_store(tmp_path / "customs.duckdb")
    old_id = store.stored_topic_ids()[("customs.revenue", 0)]
    store.close()

    recreate_topics(bootstrap)
    new, new_total = _good("new-log", 400)
    _send_to(bootstrap, 0, new)
    run = running()
    run.wait(lambda: run.metric("customs_kpi_partition_stopped", topic="customs.revenue", partition="0") == 1, "the partition stopped")
    assert run.pipeline.source.stopped == {("customs.revenue", 0): (300, -1)}  # seen on assignment
    assert run.pipeline.source._consumer.topic_id("customs.revenue") not in (None, old_id)
    polls: list[int] = []
    real_poll = run.pipeline.source.poll
    monkeypatch.setattr(run.pipeline.source, "poll", lambda *args: polls.append(1) or real_poll(*args))
    run.wait(lambda: len(polls) >= 5, "five more polls")  # nothing from the stopped partition may be taken
    assert _stored(run) == (300, first_total) and run.handled() == 0
    run.stop()

    result = cli(
        "offsets",
        "accept-new-log",
        "-b",
        bootstrap,
        "--db",
        str(tmp_path / "customs.duckdb"),
        "--topic",
        "customs.revenue",
        "--partition",
        "0",
    )
    assert "the offset held (300) is recorded" in result.stdout
    run = running()
    run.wait(lambda: run.handled() == 400, "the new log read from its start")
    assert _stored(run) == (700, first_total + new_total)
    with run.pipeline.store.reader() as con:
        [(new_id,)] = con.execute("SELECT topic_id FROM consumer_offsets WHERE topic = 'customs.revenue' AND partition = 0").fetchall()
    assert new_id not in (None, old_id)


def test_accepting_a_log_that_is_not_new_is_refused(bootstrap: str, running: Callable[[], Running], tmp_path: Path) -> None:
    """accept-new-log on a partition the consumer did not stop (its log reaches the stored offset, its topic is
    the same) is refused and changes nothing: read again from its start, its recorded duplicates and rejects
    would collide with themselves and the consumer would fail on every start."""
    _, first_total = _store_old_log(bootstrap, running)
    db = str(tmp_path / "customs.duckdb")
    result = cli("offsets", "accept-new-log", "-b", bootstrap, "--db", db, "--topic", "customs.revenue", "--partition", "0", check=False)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "its log ends at 300, not before the 300 the database holds" in result.stderr and "nothing was changed" in result.stderr
    store = open_store(tmp_path / "customs.duckdb")
    try:
        assert store.stored_offsets()[("customs.revenue", 0)] == 300
        with store.reader() as con:
            assert con.execute("SELECT count(*) FROM offset_resets").fetchall() == [(0,)]
    finally:
        store.close()
    run = running()
    run.wait(lambda: run.metric("customs_kpi_consumer_running") == 1, "the consumer running")
    assert _stored(run) == (300, first_total)


def test_a_topic_recreated_while_the_consumer_runs_stops_its_partition(bootstrap: str, running: Callable[[], Running]) -> None:
    """The same, with the consumer running through the delete and the create: nothing of the new log is stored."""
    run, first_total = _store_old_log(bootstrap, running, stop=False)
    recreate_topics(bootstrap)
    new, _ = _good("new-log", 400)
    _send_to(bootstrap, 0, new)
    run.wait(lambda: run.metric("customs_kpi_partition_stopped", topic="customs.revenue", partition="0") == 1, "the partition stopped")
    assert set(run.pipeline.source.stopped) == {("customs.revenue", 0)}
    assert _stored(run) == (300, first_total) and run.handled() == 300


def test_records_deleted_before_they_were_read_are_counted(bootstrap: str, running: Callable[[], Running]) -> None:
    """Retention deletes 150 records the consumer never read: they are counted per partition and logged, not skipped unseen."""
    first, first_total = _good("kept", 100)
    _send_to(bootstrap, 0, first)
    run = running()
    run.wait(lambda: run.handled() == 100, "the first records stored")
    run.stop()

    later, _ = _good("later", 200)
    _send_to(bootstrap, 0, later)  # offsets 100 to 299
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.delete_records({TopicPartition("customs.revenue", 0): 250})  # what retention does to a lagging consumer
    admin.close()
    run = running()
    run.wait(lambda: run.handled() == 50, "the records still in the log stored")
    assert run.metric("customs_kpi_records_skipped_total", topic="customs.revenue", partition="0") == 150
    assert run.metric("customs_kpi_records_skipped_total", topic="customs.revenue", partition="1") == 0
    assert _stored(run) == (150, first_total + sum(1_000 + i for i in range(150, 200)))


def test_a_reject_larger_than_a_producer_request_does_not_block_the_dlq(bootstrap: str) -> None:
    """A DLQ producer limited to 100 kB gets a 200 kB reject: its copy is truncated and says so; the next reject is copied whole."""
    from streams.consume.dlq import TRUNCATED_HEADER, DlqPublisher
    from streams.decode.result import REJECT_SCHEMA

    big, small = b"{" + b"x" * 200_000, b"{broken"
    rejects = pl.DataFrame(
        {
            "source_topic": ["customs.revenue"] * 2,
            "source_partition": [0, 0],
            "source_offset": [7, 8],
            "message_key": [b"03", b"03"],
            "raw_value": [big, small],
            "reason": ["message_too_large", "invalid_json"],
            "detail": ["message is 200001 bytes; the limit is 65536", "value is not valid JSON"],
            "event_id": [None, None],
        },
        schema=REJECT_SCHEMA,
    )
    publisher = DlqPublisher(clients.producer(KafkaConnection(bootstrap), acks="all", max_request_size=100_000))
    try:
        assert publisher.publish(rejects) == 2
    finally:
        publisher.close()
    copies = _dlq(bootstrap, 2)
    assert [len(r.value) for r in copies][1] == len(small) and copies[1].value == small
    assert big.startswith(copies[0].value) and 90_000 < len(copies[0].value) < 100_000
    assert dict(copies[0].headers)[TRUNCATED_HEADER] == b"200001"
    assert TRUNCATED_HEADER not in dict(copies[1].headers)


def test_a_new_log_may_reject_and_repeat_at_the_positions_the_old_one_did(
    bootstrap: str, running: Callable[[], Running], tmp_path: Path
) -> None:
    """An accepted new log numbers its positions from 0 again. Its rejects and duplicates at the
    positions where the old log had rejects and duplicates are stored beside those (the key holds
    the log): the consumer used to fail on the primary key at every start. `verify` finds nothing wrong."""
    a0, a1 = encode(revenue(event_id="old-0", amount_vnd=10)), encode(revenue(event_id="old-1", amount_vnd=11))
    _send_to(bootstrap, 0, [a0, b"{bad", a1, a0, b"{bad again"])  # offsets 0-4: rejects at 1 and 4, a duplicate at 3
    run = running()
    run.wait(lambda: run.handled() == 5, "the old log stored")
    run.stop()
    recreate_topics(bootstrap)
    n0, n1, n2 = (encode(revenue(event_id=f"new-{i}", amount_vnd=100 + i)) for i in range(3))
    _send_to(bootstrap, 0, [n0, b"{new bad", n1, n0, b"{new bad again", n2])  # the same positions, and one more
    db = str(tmp_path / "customs.duckdb")
    result = cli("offsets", "accept-new-log", "-b", bootstrap, "--db", db, "--topic", "customs.revenue", "--partition", "0")
    assert "the offset held (5) is recorded" in result.stdout
    run = running()
    run.wait(lambda: run.handled() == 6, "the new log stored")
    assert _stored(run) == (5, 10 + 11 + 100 + 101 + 102)
    with run.pipeline.store.reader() as con:
        assert con.execute("SELECT log_seq, source_offset, raw_value FROM rejects ORDER BY ALL").fetchall() == [
            (0, 1, b"{bad"),
            (0, 4, b"{bad again"),
            (1, 1, b"{new bad"),
            (1, 4, b"{new bad again"),
        ]
        assert con.execute("SELECT log_seq, source_offset, event_id FROM duplicates ORDER BY ALL").fetchall() == [
            (0, 3, "old-0"),
            (1, 3, "new-0"),
        ]
    run.wait(lambda: run.metric("customs_kpi_dlq_published_records_total") == 2, "the new log's rejects in the DLQ")
    run.stop()
    checked = cli("verify", "--db", db, "-b", bootstrap)
    assert "no differences" in checked.stdout
