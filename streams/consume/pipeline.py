"""The consumer loop: poll, decode, write rows and offsets in one transaction, publish rejects, commit."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from streams.consume.dlq import DlqPublisher
from streams.consume.publisher import LakePublisher
from streams.consume.source import KafkaSource, Poll, Prefetcher
from streams.contract.events import EventSpec, spec_for_topic
from streams.decode import DecodedBatch
from streams.decode.batch import replay_frame
from streams.decode.isolate import decode_isolating
from streams.kafka.clients import KafkaError
from streams.kafka.types import Offsets
from streams.observe.pipeline import PipelineMetrics
from streams.retry import RetryPolicy
from streams.store import TRANSIENT_WRITE_ERRORS, EventStore, WriteCounts

log = logging.getLogger(__name__)
# A batch's write is retried while it fails for a reason a wait can cure (the disk, memory, the
# broker); nothing past it is committed meanwhile, so lag grows and customs_kpi_errors_total{stage="write"}
# counts every failure. Anything else is a bug: retrying it would stop the stream for good while
# looking busy, so it ends the consumer with the error instead.
WRITE_RETRIES = RetryPolicy("write", (*TRANSIENT_WRITE_ERRORS, KafkaError), wait_initial_s=1.0, wait_max_s=10.0)
DLQ_RETRY_S = 30.0  # rejects whose copy to the DLQ failed are tried again this often, batch or no batch


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
        publisher: LakePublisher | None = None,
        batch_wait_ms: int = 0,
    ) -> None:
        self.source, self.store, self.dlq, self.metrics = source, store, dlq, metrics
        self.clock = clock
        self.max_poll_records = max_poll_records
        self.poll_timeout_ms = poll_timeout_ms
        self.stopping = threading.Event()
        self.publisher = publisher
        self.batch_wait_ms = batch_wait_ms
        self._dlq_behind, self._dlq_failed_at = False, 0.0
        self._led = self._leads_dlq()

    def run(self) -> None:
        """Run until stop(); Kafka is polled on a second thread while this one decodes and writes."""
        self.metrics.up.set(1)
        self.publish_rejects()  # rejects stored before a crash but not yet copied to the DLQ
        prefetcher = Prefetcher(
            self.source, self.poll_timeout_ms, self.max_poll_records, self._record_lag, batch_wait_ms=self.batch_wait_ms
        )
        prefetcher.start()
        try:
            while not self.stopping.is_set():
                poll = prefetcher.get(timeout_s=0.5)
                if poll is not None:
                    self.process_until_written(poll)
                if self._dlq_behind and time.monotonic() - self._dlq_failed_at >= DLQ_RETRY_S:
                    self.publish_rejects()
                if self.publisher is not None:
                    self.publisher.maybe_publish()
                    if self._leads_dlq() and not self._led:
                        self.publish_rejects()  # a replica that took the lead copies what the other left
                    self._led = self._leads_dlq()
        finally:
            prefetcher.stop()
            if self.publisher is not None:
                self.publisher.maybe_publish(final=True)
            self.metrics.up.set(0)

    def stop(self) -> None:
        self.stopping.set()

    def process_until_written(self, poll: Poll) -> int:
        """process(), its write retried with backoff while it fails for a transient reason.

        A full or read-only disk, say: nothing past the failed batch is committed meanwhile, so the
        stream waits, lag grows and customs_kpi_errors_total{stage="write"} counts every attempt.
        Only the write is retried, with the batch as decoded. A rebalance or stop() ends the
        retries: the batch is read again from DuckDB's offsets. Any other error (a bug, or a fatal
        DuckDB error that only reopening the file recovers from) is raised and ends the consumer.
        """
        polled = self._decoded(poll)
        if polled is None:
            return 0
        now, decoded = polled

        def failed(exc: BaseException) -> None:
            log.error(
                "writing a batch of %d records failed; nothing past it is committed; retrying: %s: %s", poll.size, type(exc).__name__, exc
            )

        try:
            counts = WRITE_RETRIES.call(lambda: self.write(poll, decoded, now), self.stopping.is_set, failed)
        except WRITE_RETRIES.on:
            if self.stopping.is_set():
                return 0  # read again from DuckDB's offsets at the next start
            raise
        if counts is None:
            return 0  # a rebalance came first: the new positions re-read the batch
        self._after_commit(poll, counts)
        return poll.size

    def _decoded(self, poll: Poll) -> tuple[datetime, list[tuple[EventSpec, DecodedBatch]]] | None:
        """(the batch's clock, its topics decoded), or None if it is empty or was polled before a rebalance."""
        with self.source.write_lock:
            if not poll.size or poll.generation != self.source.generation:
                return None  # the new positions re-read it
            now = self.clock()
            started = time.perf_counter()
            decoded = self.decode(poll, now)
        self.metrics.batch_duration.labels("decode").observe(time.perf_counter() - started)
        return now, decoded

    def decode(self, poll: Poll, now: datetime) -> list[tuple[EventSpec, DecodedBatch]]:
        """Each topic's share decoded; a message that makes decoding raise is rejected alone (decode_error)."""
        decoded: list[tuple[EventSpec, DecodedBatch]] = []
        on_error = self.metrics.errors.labels("decode").inc
        for topic, raw in poll.batches.items():
            spec = spec_for_topic(topic)
            if spec is None:  # not subscribed; cannot happen unless the subscription changes
                raise RuntimeError(f"records arrived from unexpected topic {topic}")
            decoded.append((spec, decode_isolating(spec, raw, now, on_error)))
        return decoded

    def write(self, poll: Poll, decoded: list[tuple[EventSpec, DecodedBatch]], now: datetime) -> WriteCounts | None:
        """The batch's one transaction (rows, rejects, aggregates, offsets); None if a rebalance came first."""
        with self.source.write_lock:
            if poll.generation != self.source.generation:
                return None
            started = time.perf_counter()
            try:
                counts = self.store.write_batch(
                    decoded, poll.next_offsets, now, replay_frame(list(poll.batches.values())), topic_ids=poll.topic_ids
                )
            except Exception:
                self.metrics.errors.labels("write").inc()
                raise  # offsets stay where DuckDB has them; nothing past this batch is committed
            self.source.written(poll.next_offsets)
        self.metrics.batch_duration.labels("write").observe(time.perf_counter() - started)
        return counts

    def _after_commit(self, poll: Poll, counts: WriteCounts) -> None:
        """Bookkeeping once the batch is committed: nothing here may fail the batch (it is stored)."""
        self.metrics.batch_records.observe(poll.size)
        self.metrics.last_commit.set_to_current_time()
        if counts.rejected:
            self.publish_rejects()

    def _leads_dlq(self) -> bool:
        """Whether this process copies rejects to the DLQ: of a replica pair, only the lake's leader."""
        return self.publisher is None or self.publisher.leading

    def publish_rejects(self) -> None:
        """Copy stored rejects to the DLQ, marking them published only once the broker has them.

        A failure (the broker, or the bookkeeping in DuckDB) is counted and logged; the rejects
        stay unpublished in DuckDB and are tried again in DLQ_RETRY_S. It never fails a batch.
        A replica that does not lead the lake copies nothing: its rejects wait for its lead."""
        if not self._leads_dlq():
            return
        try:
            while True:
                pending = self.store.unpublished_rejects()
                if pending.is_empty():
                    self._dlq_behind = False
                    return
                sent = self.dlq.publish(pending)
                self.store.mark_published(pending)
                self.metrics.dlq_published.inc(sent)
        except Exception as exc:
            self._dlq_behind, self._dlq_failed_at = True, time.monotonic()
            self.metrics.errors.labels("dlq").inc()
            log.warning("copying rejects to the DLQ failed; they stay in DuckDB, retrying in %.0f s: %r", DLQ_RETRY_S, exc)

    def _record_lag(self, lag: Offsets) -> None:
        for (topic, partition), n in lag.items():
            self.metrics.lag.labels(topic, str(partition)).set(n)
