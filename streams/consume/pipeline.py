"""The consumer loop: poll, decode, write rows and offsets in one transaction, publish rejects, commit."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

import duckdb

from streams.consume.dlq import DlqPublisher
from streams.consume.snapshots import Snapshotter
from streams.consume.source import KafkaSource, Offsets, Poll, Prefetcher
from streams.contract.events import EventSpec, spec_for_topic
from streams.decode import DecodedBatch, decode_batch
from streams.decode.batch import replay_frame
from streams.observe.pipeline import PipelineMetrics
from streams.store import EventStore

log = logging.getLogger(__name__)
RETRY_FIRST_S, RETRY_MAX_S = 1.0, 30.0


class Pipeline:
    def __init__(
        self,
        source: KafkaSource,
        store: EventStore,
        dlq: DlqPublisher,
        metrics: PipelineMetrics,
        clock: Callable[[], datetime],
        max_poll_records: int = 20_000,
        poll_timeout_ms: int = 500,
        snapshots: Snapshotter | None = None,
    ) -> None:
        self.source, self.store, self.dlq, self.metrics = source, store, dlq, metrics
        self.clock = clock
        self.max_poll_records = max_poll_records
        self.poll_timeout_ms = poll_timeout_ms
        self.stopping = threading.Event()
        self.handled = 0
        self.snapshots = snapshots

    def run(self) -> None:
        """Run until stop(); Kafka is polled on a second thread while this one decodes and writes."""
        self.metrics.up.set(1)
        self.publish_rejects()  # rejects stored before a crash but not yet copied to the DLQ
        prefetcher = Prefetcher(self.source, self.poll_timeout_ms, self.max_poll_records, self._record_lag)
        prefetcher.start()
        try:
            while not self.stopping.is_set():
                poll = prefetcher.get(timeout_s=0.5)
                if poll is not None:
                    self.process_until_written(poll)
                if self.snapshots is not None:
                    self.snapshots.maybe_publish()
        finally:
            prefetcher.stop()
            if self.snapshots is not None:
                self.snapshots.maybe_publish(final=True)
            self.metrics.up.set(0)

    def stop(self) -> None:
        self.stopping.set()

    def process_until_written(self, poll: Poll) -> int:
        """process(), retried with backoff while writing fails (a full or read-only disk, say).

        Nothing past the failed batch is committed meanwhile, so the stream waits, lag grows and
        customs_kpi_errors_total{stage="write"} counts every attempt. A rebalance or stop() ends
        the retries: the batch is read again from DuckDB's offsets. A fatal DuckDB error (the
        database invalidated) is raised, since only reopening the file recovers from it.
        """
        delay = RETRY_FIRST_S
        while True:
            try:
                return self.process(poll)
            except duckdb.FatalException:
                raise
            except Exception as exc:
                log.error(
                    "writing a batch of %d records failed; nothing past it is committed; retrying in %.0f s: %s",
                    poll.size,
                    delay,
                    exc,
                )
            if self.stopping.wait(delay):
                return 0
            delay = min(delay * 2, RETRY_MAX_S)

    def step(self) -> int:
        """One synchronous poll-and-process cycle (no second thread); returns the records handled."""
        poll = self.source.poll(self.poll_timeout_ms, self.max_poll_records)
        self._record_lag(self.source.lag())
        return self.process(poll)

    def process(self, poll: Poll) -> int:
        """Decode and write one polled batch with its offsets; returns the records handled."""
        with self.source.write_lock:
            if not poll.size or poll.generation != self.source.generation:
                return 0  # empty, or polled before a rebalance: the new positions re-read it
            started = time.perf_counter()
            now = self.clock()
            decoded: list[tuple[EventSpec, DecodedBatch]] = []
            for topic, raw in poll.batches.items():
                spec = spec_for_topic(topic)
                if spec is None:  # not subscribed; cannot happen unless the subscription changes
                    raise RuntimeError(f"records arrived from unexpected topic {topic}")
                decoded.append((spec, decode_batch(spec, raw, now)))
            decoded_at = time.perf_counter()
            try:
                counts = self.store.write_batch(decoded, poll.next_offsets, now, replay_frame(list(poll.batches.values())))
            except Exception:
                self.metrics.errors.labels("write").inc()
                raise  # offsets stay where DuckDB has them; nothing past this batch is committed
            self.source.written(poll.next_offsets)
        written_at = time.perf_counter()
        self.metrics.batch_duration.labels("decode").observe(decoded_at - started)
        self.metrics.batch_duration.labels("write").observe(written_at - decoded_at)
        self.metrics.batch_records.observe(poll.size)
        self.metrics.last_commit.set_to_current_time()
        if self.snapshots is not None:
            self.snapshots.changed()
        if counts.rejected:
            self.publish_rejects()
        self.handled += poll.size
        return poll.size

    def publish_rejects(self) -> None:
        """Copy stored rejects to the DLQ, marking them published only once the broker has them."""
        while True:
            pending = self.store.unpublished_rejects()
            if pending.is_empty():
                return
            try:
                sent = self.dlq.publish(pending)
            except Exception as exc:
                self.metrics.errors.labels("dlq").inc()
                log.warning("copying %d rejects to the DLQ failed, will retry: %s", pending.height, exc)
                return
            self.store.mark_published(pending)
            self.metrics.dlq_published.inc(sent)

    def _record_lag(self, lag: Offsets) -> None:
        for (topic, partition), n in lag.items():
            self.metrics.lag.labels(topic, str(partition)).set(n)
