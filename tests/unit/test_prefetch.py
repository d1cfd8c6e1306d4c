"""The polling thread survives failed polls: it counts them, backs off, and goes back to DuckDB's
offsets when records may have been taken without being handed over."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import dataclass

import pytest
import stamina
from kafka.errors import KafkaConnectionError

from streams.consume import source as source_module
from streams.consume.source import KafkaSource, Poll, Prefetcher, SourceEvents
from tests.support.factories import raw_batch, revenue


class FlakySource:
    """Fails the first polls in the given ways, then returns one batch, then nothing."""

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.errors: list[str] = []
        self.repositioned = 0
        self.on_reassign = lambda: None
        self.events = SourceEvents(error=self.errors.append)
        self.batch = Poll({"customs.revenue": raw_batch("customs.revenue", [revenue()])}, {("customs.revenue", 0): 1})
        self.served = False

    def poll(self, timeout_ms: int, max_records: int) -> Poll:
        if self.failures:
            raise self.failures.pop(0)
        if not self.served:
            self.served = True
            return self.batch
        time.sleep(timeout_ms / 1000)
        return Poll({}, {})

    def lag(self, ask_broker: bool = False) -> dict:
        return {}

    def reposition(self) -> None:
        self.repositioned += 1

    def commit_written(self) -> None:
        pass


def test_failed_polls_are_counted_retried_and_rewound() -> None:
    """Kafka's errors and socket errors are retried (counted); a socket error may have lost records in hand: rewound."""
    source = FlakySource([KafkaConnectionError("broker away"), KafkaConnectionError("still away"), OSError("connection reset")])
    prefetcher = Prefetcher(source, 10, 100, lambda _lag: None)  # type: ignore[arg-type]
    with stamina.set_testing(True, attempts=10):  # no waits
        prefetcher.start()
        try:
            got = prefetcher.get(timeout_s=5)
        finally:
            prefetcher.stop()
    assert got is source.batch
    assert source.errors == ["poll", "poll", "poll"]
    assert source.repositioned == 1  # only the failure that was not Kafka's may have lost records in hand


def test_a_bug_in_a_poll_is_not_retried() -> None:
    """Any other exception is a bug: it reaches the writer's thread at once, and nothing is counted as a poll error."""
    source = FlakySource([ValueError("a bug after the poll")])
    prefetcher = Prefetcher(source, 10, 100, lambda _lag: None)  # type: ignore[arg-type]
    with stamina.set_testing(True, attempts=10):
        prefetcher.start()
        try:
            with pytest.raises(ValueError, match="a bug after the poll"):
                prefetcher.get(timeout_s=5)
        finally:
            prefetcher.stop()
    assert source.errors == []
    assert source.repositioned == 0


def test_the_switch_interval_holds_only_while_polling() -> None:
    """The short GIL switch interval is the consumer's: set by start(), put back by stop()."""
    before = sys.getswitchinterval()
    prefetcher = Prefetcher(FlakySource([]), 10, 100, lambda _lag: None)  # type: ignore[arg-type]
    prefetcher.start()
    assert sys.getswitchinterval() == pytest.approx(source_module.SWITCH_INTERVAL_S)
    prefetcher.stop()
    assert sys.getswitchinterval() == before


class TrickleSource:
    """Hands out one revenue event per poll (offsets 0, 1, 2, ... of partition 0), and records the
    max_records each poll asked for; `reassign_at` bumps the generation before that poll."""

    def __init__(self, per_poll: int = 1, reassign_at: int | None = None) -> None:
        self.per_poll = per_poll
        self.reassign_at = reassign_at
        self.asked: list[int] = []
        self.next_offset = 0
        self.generation = 0
        self.on_reassign = lambda: None
        self.events = SourceEvents()

    def poll(self, timeout_ms: int, max_records: int) -> Poll:
        if len(self.asked) == self.reassign_at:
            self.generation += 1
        self.asked.append(max_records)
        if len(self.asked) > 50:  # enough for any test: then nothing more arrives
            time.sleep(timeout_ms / 1000)
            return Poll({}, {}, self.generation)
        n = min(self.per_poll, max_records)
        first, self.next_offset = self.next_offset, self.next_offset + n
        batch = raw_batch("customs.revenue", [revenue(event_id=f"e{i}") for i in range(first, first + n)], first_offset=first)
        return Poll({"customs.revenue": batch}, {("customs.revenue", 0): first + n}, self.generation)

    def lag(self, ask_broker: bool = False) -> dict:
        return {}

    def reposition(self) -> None:
        pass

    def commit_written(self) -> None:
        pass


def _first_batch(source: TrickleSource, max_records: int, batch_wait_ms: int) -> Poll:
    prefetcher = Prefetcher(source, 10, max_records, lambda _lag: None, batch_wait_ms=batch_wait_ms)  # type: ignore[arg-type]
    prefetcher.start()
    try:
        got = prefetcher.get(timeout_s=30)
    finally:
        prefetcher.stop()
    assert got is not None
    return got


def test_small_polls_are_gathered_into_one_batch_up_to_max_records() -> None:
    """With a batch wait, polls of one record are joined, in offset order, until max_records; each later
    poll asks only for what is left, so a batch never exceeds max_records."""
    source = TrickleSource()
    got = _first_batch(source, max_records=7, batch_wait_ms=60_000)  # the wait cannot end it: max_records does
    batch = got.batches["customs.revenue"]
    assert batch.offsets == [0, 1, 2, 3, 4, 5, 6]
    assert batch.partitions == [0] * 7
    assert [json.loads(v)["event_id"] for v in batch.values if v is not None] == [f"e{i}" for i in range(7)]
    assert got.next_offsets == {("customs.revenue", 0): 7}
    assert source.asked[:7] == [7, 6, 5, 4, 3, 2, 1]


def test_without_a_batch_wait_each_poll_is_a_batch() -> None:
    source = TrickleSource()
    got = _first_batch(source, max_records=7, batch_wait_ms=0)
    assert got.batches["customs.revenue"].offsets == [0]
    assert got.next_offsets == {("customs.revenue", 0): 1}


def test_a_reassignment_while_gathering_drops_what_was_gathered() -> None:
    """Records gathered under the old assignment are stale (the new positions read them again): the batch
    handed over holds only what came after, with the new generation."""
    source = TrickleSource(reassign_at=3)
    got = _first_batch(source, max_records=5, batch_wait_ms=60_000)
    assert got.generation == 1
    assert got.batches["customs.revenue"].offsets == [3, 4, 5, 6, 7]


def test_joined_polls_keep_each_topic_and_partition_in_order() -> None:
    first = Poll(
        {"customs.revenue": raw_batch("customs.revenue", [revenue(event_id="a")], partition=1, first_offset=10)},
        {("customs.revenue", 1): 11},
    )
    second = Poll(
        {
            "customs.revenue": raw_batch("customs.revenue", [revenue(event_id="b")], partition=1, first_offset=11),
            "customs.seizures": raw_batch("customs.seizures", [b"{}"], partition=2, first_offset=5),
        },
        {("customs.revenue", 1): 12, ("customs.seizures", 2): 6},
    )
    joined = first.joined(second)
    assert joined.size == 3
    assert joined.batches["customs.revenue"].offsets == [10, 11]
    assert joined.batches["customs.seizures"].offsets == [5]
    assert joined.next_offsets == {("customs.revenue", 1): 12, ("customs.seizures", 2): 6}


@dataclass(frozen=True)
class _TP:
    topic: str
    partition: int


@dataclass(frozen=True)
class _Record:
    offset: int
    key: bytes | None = b"03"
    value: bytes | None = b"{}"
    headers: tuple[tuple[str, bytes | None], ...] = ()


class ScriptedConsumer:
    """A consumer whose polls return the given offset ranges of customs.revenue[0]; the log begins at `begin`."""

    def __init__(self, ranges: list[range], begin: int = 0, topic_id: str | None = None) -> None:
        self.ranges = ranges
        self.begin = begin
        self.asked_beginning = 0
        self.tp = _TP("customs.revenue", 0)
        self.id = topic_id
        self.paused: list[object] = []
        self.sought: list[int] = []

    def topic_id(self, topic: str, fresh: bool = False) -> str | None:
        return self.id

    def pause(self, partition: object) -> None:
        self.paused.append(partition)

    def end_offsets(self, partitions: object) -> dict:
        return {self.tp: 500}

    def subscribe(self, topics, on_assigned, on_revoked) -> None:  # type: ignore[no-untyped-def]
        self.on_assigned = on_assigned

    def poll(self, timeout_ms: int, max_records: int) -> dict:
        return {self.tp: [_Record(o) for o in self.ranges.pop(0)]} if self.ranges else {}

    def seek(self, partition: object, offset: int) -> None:
        self.sought.append(offset)

    def beginning_offsets(self, partitions: object) -> dict:
        self.asked_beginning += 1
        return {self.tp: self.begin}

    def commit(self, offsets: object, wait: bool) -> None:
        pass


def test_polls_ahead_of_the_writer_are_not_gaps_but_a_real_gap_is_counted() -> None:
    """Polls that continue where the previous poll ended are not a gap, although DuckDB has not stored
    them yet (the writer is behind, or the polls are being gathered): the broker is not asked. A poll
    that jumps past what was handed over, to where retention now begins the log, counts the difference."""
    consumer = ScriptedConsumer([range(100, 110), range(110, 120), range(130, 135)], begin=130)
    skipped: list[tuple[str, int, int]] = []
    events = SourceEvents(skipped=lambda topic, partition, n: skipped.append((topic, partition, n)))
    source = KafkaSource(consumer, ["customs.revenue"], lambda: {("customs.revenue", 0): 100}, events=events)  # type: ignore[arg-type]
    consumer.on_assigned({consumer.tp})
    assert skipped == [("customs.revenue", 0, 0)]  # the series starts at 0 on assignment
    first, second = source.poll(10, 100), source.poll(10, 100)
    assert consumer.asked_beginning == 0
    assert first.next_offsets == {("customs.revenue", 0): 110} and second.next_offsets == {("customs.revenue", 0): 120}
    third = source.poll(10, 100)
    assert consumer.asked_beginning == 1
    assert skipped[1:] == [("customs.revenue", 0, 10)]  # 120 to 129, not 100 to 129
    assert third.batches["customs.revenue"].offsets == [130, 131, 132, 133, 134]


def _source(consumer: ScriptedConsumer, stored_id: str | None) -> tuple[KafkaSource, list[bool]]:
    ids = {} if stored_id is None else {("customs.revenue", 0): stored_id}
    stops: list[bool] = []
    events = SourceEvents(stopped=lambda _topic, _partition, stopped: stops.append(stopped))
    source = KafkaSource(consumer, ["customs.revenue"], lambda: {("customs.revenue", 0): 100}, lambda: ids, events=events)  # type: ignore[arg-type]
    return source, stops


def test_a_topic_recreated_while_the_consumer_was_away_stops_its_partition() -> None:
    """DuckDB's offset (100) was stored for topic id A; Kafka's topic of that name is now B, and its new
    log may well reach offset 100 already. The partition is stopped on assignment: not positioned at 100
    of another log, nothing polled from it."""
    consumer = ScriptedConsumer([range(100, 110)], topic_id="B")
    source, stops = _source(consumer, "A")
    consumer.on_assigned({consumer.tp})
    assert consumer.paused == [consumer.tp] and consumer.sought == []
    assert source.stopped == {("customs.revenue", 0): (100, -1)} and stops == [True]
    assert source.poll(10, 100).size == 0  # what the paused partition still returns is not handed over


def test_the_same_topic_goes_on_and_its_id_is_written_with_the_offsets() -> None:
    consumer = ScriptedConsumer([range(100, 110)], topic_id="A")
    source, stops = _source(consumer, "A")
    consumer.on_assigned({consumer.tp})
    assert consumer.sought == [100] and stops == [False]
    polled = source.poll(10, 100)
    assert polled.size == 10 and polled.topic_ids == {"customs.revenue": "A"}


def test_offsets_stored_before_ids_were_kept_adopt_the_current_id() -> None:
    consumer = ScriptedConsumer([range(100, 110)], topic_id="A")
    source, stops = _source(consumer, None)
    consumer.on_assigned({consumer.tp})
    assert stops == [False] and source.poll(10, 100).topic_ids == {"customs.revenue": "A"}


def test_a_topic_recreated_while_the_consumer_runs_stops_its_partition() -> None:
    """The id changes between two polls (Kafka's metadata after a delete and create): the records of the
    new log are not handed over, the partition is stopped with the log's end for the operator."""
    consumer = ScriptedConsumer([range(100, 110), range(110, 120)], topic_id="A")
    source, stops = _source(consumer, "A")
    consumer.on_assigned({consumer.tp})
    assert source.poll(10, 100).size == 10
    consumer.id = "B"
    assert source.poll(10, 100).size == 0
    assert source.stopped == {("customs.revenue", 0): (100, 500)} and stops == [False, True]
    assert consumer.paused == [consumer.tp]


class StaleMetadataConsumer(ScriptedConsumer):
    """Its cached metadata still has the old topic's id; the broker, asked afresh, the new one."""

    def topic_id(self, topic: str, fresh: bool = False) -> str | None:
        return "B" if fresh else self.id


def test_a_log_reset_to_its_start_by_a_newer_topic_is_caught_with_fresh_metadata() -> None:
    """A recreated topic whose log has already grown past DuckDB's offset, met through a reset of the
    position to the log's start (records below the offset come back) before the cached metadata knows
    the new id: the broker is asked for the id, and the partition is stopped instead of the first 100
    records of the new log being dropped as already stored."""
    consumer = StaleMetadataConsumer([range(0, 10)], topic_id="A")
    source, stops = _source(consumer, "A")
    consumer.on_assigned({consumer.tp})
    assert source.poll(10, 100).size == 0
    assert source.stopped == {("customs.revenue", 0): (100, 500)} and stops == [False, True]


def test_records_from_before_a_seek_are_only_dropped_when_the_topic_is_the_same() -> None:
    consumer = ScriptedConsumer([range(90, 110)], topic_id="A")
    source, stops = _source(consumer, "A")
    consumer.on_assigned({consumer.tp})
    polled = source.poll(10, 100)
    assert polled.batches["customs.revenue"].offsets == list(range(100, 110))  # 90 to 99 are stored already
    assert source.stopped == {} and stops == [False]
