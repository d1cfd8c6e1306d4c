"""The polling thread survives failed polls: it counts them, backs off, and goes back to DuckDB's
offsets when records may have been taken without being handed over."""

from __future__ import annotations

import sys
import time

import pytest
import stamina
from kafka.errors import KafkaConnectionError

from streams.consume import source as source_module
from streams.consume.source import Poll, Prefetcher
from tests.factories import raw_batch, revenue


class FlakySource:
    """Fails the first polls in the given ways, then returns one batch, then nothing."""

    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.errors: list[str] = []
        self.repositioned = 0
        self.on_reassign = lambda: None
        self.on_error = self.errors.append
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
