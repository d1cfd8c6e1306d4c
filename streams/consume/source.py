"""The Kafka side of the consumer: subscribe, seek to DuckDB's offsets, poll batches, commit.

KafkaConsumer is not thread-safe, so every call on it happens on one thread: the caller of
`poll()` (the prefetch thread while the pipeline runs). The writer hands back what it stored
through `written()`, which only queues the Kafka commit for that thread.

Rebalances: a partition assignment waits for the batch being written (`write_lock`), discards
batches polled under the previous assignment (`generation`), then seeks every partition to the
offset stored in DuckDB, so nothing is skipped or written twice. kafka-python 3 calls the listener
on its own network thread, so the offsets are read on a DuckDB connection of that call's own.
"""

from __future__ import annotations

import logging
import queue
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from streams.contract.events import REPLAY_HEADER, parse_replay_header
from streams.decode.batch import RawBatch
from streams.kafka.clients import KafkaError
from streams.kafka.types import EventConsumer, Offsets, Partition
from streams.retry import RetryPolicy

log = logging.getLogger(__name__)
SWITCH_INTERVAL_S = 0.0005
POLL_RETRIES = RetryPolicy("poll", (KafkaError, OSError), wait_initial_s=0.5, wait_max_s=5.0)
STALLED_LAG_EVERY_S = 2.0  # while the writer does not take batches, lag is refreshed from the broker this often


@dataclass(frozen=True)
class Poll:
    """One poll's records grouped by topic, and the next offset of every partition it touched."""

    batches: dict[str, RawBatch]
    next_offsets: Offsets
    generation: int = 0
    topic_ids: dict[str, str] = field(default_factory=dict)  # topic -> Kafka's id of the log the records came from

    @property
    def size(self) -> int:
        return sum(len(b.offsets) for b in self.batches.values())

    def joined(self, later: Poll) -> Poll:
        """This poll followed by a later one of the same assignment, as if one poll had returned both.

        Within a partition the later poll's records follow this one's, so each topic's columns stay
        in offset order and the later next offsets win."""
        batches = dict(self.batches)
        for topic, batch in later.batches.items():
            batches[topic] = batch if topic not in batches else batches[topic].joined(batch)
        return Poll(batches, {**self.next_offsets, **later.next_offsets}, self.generation, {**self.topic_ids, **later.topic_ids})


def _log_revoked(revoked: set[Partition]) -> None:
    log.info("partitions revoked: %s", sorted((tp.topic, tp.partition) for tp in revoked))


def _ignore(*_args: object) -> None:
    return None


@dataclass(frozen=True)
class SourceEvents:
    """What the source reports as it happens, given at construction (the consumer counts each in
    /metrics): a poll or commit error by stage, records a retention gap skipped, a partition stopped
    (True) or reading again (False)."""

    error: Callable[[str], None] = _ignore
    skipped: Callable[[str, int, int], None] = _ignore
    stopped: Callable[[str, int, bool], None] = _ignore


class KafkaSource:
    def __init__(
        self,
        consumer: EventConsumer,
        topics: Sequence[str],
        stored_offsets: Callable[[], Offsets],
        stored_topic_ids: Callable[[], dict[tuple[str, int], str]] = dict,
        *,
        events: SourceEvents = SourceEvents(),
    ) -> None:
        self._consumer = consumer
        self._stored_offsets = stored_offsets
        self._stored_topic_ids = stored_topic_ids
        self._topic_ids: dict[tuple[str, int], str] = {}  # the topic id of the log each partition's offsets belong to
        self._next: Offsets = {}  # where DuckDB continues, as of the last batch written
        self._polled: Offsets = {}  # the offset after the last record handed over since the partition was positioned
        self._commits: queue.SimpleQueue[Offsets] = queue.SimpleQueue()
        self.write_lock = threading.Lock()
        self.generation = 0
        self.on_reassign: Callable[[], None] = lambda: None  # the prefetcher's, which owns the queue to drop
        self.events = events
        # partition -> (DuckDB's next offset, the log's end: -1 if not asked, for a recreated topic seen on assignment)
        self.stopped: dict[tuple[str, int], tuple[int, int]] = {}
        self._gaps_seen: dict[tuple[str, int], int] = {}  # partition -> where a retention gap was counted up to
        # On every assignment, position each partition where DuckDB says to continue.
        consumer.subscribe(topics, on_assigned=self.seek_assigned, on_revoked=_log_revoked)

    def seek_assigned(self, assigned: set[Partition]) -> None:
        with self.write_lock:  # the batch being written finishes first
            self.generation += 1
            self.on_reassign()
            stored, stored_ids = self._stored_offsets(), self._stored_topic_ids()
            for tp in assigned:
                offset = stored.get((tp.topic, tp.partition))
                self._polled.pop((tp.topic, tp.partition), None)
                self.events.skipped(tp.topic, tp.partition, 0)  # both series from 0, so increase() and alerts see them
                if offset is None:
                    self._topic_ids.pop((tp.topic, tp.partition), None)  # a new log from its start: its id is adopted
                elif (tp.topic, tp.partition) in stored_ids:
                    self._topic_ids[(tp.topic, tp.partition)] = stored_ids[(tp.topic, tp.partition)]
                if offset is not None and (tp.topic, tp.partition) not in self.stopped:
                    # Recreated while the consumer was away: stopped below. This runs on kafka-python's
                    # network thread, which must not wait for itself: the log's end is not asked.
                    self._other_topic(tp, offset, on_assignment=True)
                self.events.stopped(tp.topic, tp.partition, (tp.topic, tp.partition) in self.stopped)
                if (tp.topic, tp.partition) in self.stopped:
                    self._consumer.pause(tp)  # still behind what DuckDB holds: stays stopped
                elif offset is None:
                    self._consumer.seek_to_beginning(tp)
                    self._next.pop((tp.topic, tp.partition), None)
                else:
                    self._consumer.seek(tp, offset)
                    self._next[(tp.topic, tp.partition)] = offset
        log.info("assigned %d partitions, positioned at DuckDB's offsets", len(assigned))

    def _other_topic(self, tp: Partition, floor: int, on_assignment: bool = False, fresh: bool = False) -> bool:
        """The partition's records now come from another topic of the same name (Kafka's topic id is not
        the one DuckDB's offsets were stored with): the topic was deleted and recreated. Stop the
        partition, as for a log that went back: if the new log already reaches DuckDB's offset,
        reading on from there would skip its first records unseen, with lag 0."""
        key = (tp.topic, tp.partition)
        known, current = self._topic_ids.get(key), self._consumer.topic_id(tp.topic, fresh)
        if current is None:
            return False  # the broker gives no ids, or the metadata has not arrived: nothing to compare
        if known is None:
            self._topic_ids[key] = current  # offsets stored before ids were kept: adopted
            return False
        if known == current:
            return False
        if on_assignment:
            self.stopped[key] = (floor, -1)  # seek_assigned pauses it and reports it
        else:
            self.stopped[key] = (floor, self._consumer.end_offsets([tp]).get(tp, -1))
            self._consumer.pause(tp)
            self.events.stopped(tp.topic, tp.partition, True)
        log.error(
            "%s[%d]: the topic was recreated (its id is now %s; DuckDB's offsets, up to %d, are for %s). The partition is "
            "stopped so that nothing is skipped unseen. To read the new log from its start, stop the consumer and run "
            "`customs-kpi offsets accept-new-log --topic %s --partition %d`.",
            tp.topic,
            tp.partition,
            current,
            floor,
            known,
            tp.topic,
            tp.partition,
        )
        return True

    def _went_back(self, tp: Partition, floor: int) -> bool:
        """Records below DuckDB's next offset came back. If the log now ends below it (the topic was
        recreated, or the broker's data wiped, while the database was kept), stop the partition: its
        new records would otherwise be discarded as already stored, silently, with lag 0."""
        end = self._consumer.end_offsets([tp]).get(tp)
        if end is None or end >= floor:
            # The log still reaches DuckDB's position: records fetched before a seek, or a log reset to
            # its start because it was replaced by one that has grown past the position since. The
            # topic's id, asked of the broker, tells: the cached one may predate the new topic.
            return self._other_topic(tp, floor, fresh=True)
        self._consumer.pause(tp)
        self.stopped[(tp.topic, tp.partition)] = (floor, end)
        self.events.stopped(tp.topic, tp.partition, True)
        log.error(
            "%s[%d]: the log ends at offset %d but DuckDB has stored up to %d: the topic was recreated or the broker's data "
            "was lost. The partition is stopped so that nothing is skipped unseen. To read the new log from its start, stop "
            "the consumer and run `customs-kpi offsets accept-new-log --topic %s --partition %d`.",
            tp.topic,
            tp.partition,
            end,
            floor,
            tp.topic,
            tp.partition,
        )
        return True

    def _count_gap(self, tp: Partition, floor: int, first: int) -> None:
        """Records arrive past the next offset expected (DuckDB's, or after what was already handed over
        to the writer). If the log now begins past it, retention deleted
        records the consumer never read: count and log them (a gap from compaction or transaction
        markers, inside the log, is not a loss)."""
        key = (tp.topic, tp.partition)
        if self._gaps_seen.get(key, -1) >= first:
            return  # this gap is counted already (its batch was polled again after a rebalance)
        begin = self._consumer.beginning_offsets([tp]).get(tp)
        if begin is None or begin <= floor:
            return
        lost = min(begin, first) - floor
        self._gaps_seen[key] = first
        self.events.skipped(tp.topic, tp.partition, lost)
        log.error(
            "%s[%d]: %d records (offsets %d to %d) were deleted by the broker's retention before the consumer read them",
            tp.topic,
            tp.partition,
            lost,
            floor,
            floor + lost - 1,
        )

    def reposition(self) -> None:
        """Drop what was polled but not written and continue from DuckDB's offsets, as after a rebalance."""
        self.seek_assigned(self._consumer.assignment())

    def poll(self, timeout_ms: int, max_records: int) -> Poll:
        self.commit_written()
        polled = self._consumer.poll(timeout_ms, max_records)
        columns: dict[str, tuple[list[int], list[int], list[bytes | None], list[bytes | None]]] = {}
        replays: dict[str, list[tuple[int, int, bytes | None, str, int, int]]] = {}
        next_offsets: Offsets = {}
        topic_ids: dict[str, str] = {}
        for tp, records in polled.items():
            floor = self._next.get((tp.topic, tp.partition), -1)
            if (tp.topic, tp.partition) in self.stopped:
                continue
            if records and self._other_topic(tp, floor):
                continue  # recreated while the consumer ran
            if records and records[0].offset < floor:  # never hand back what DuckDB already holds
                if self._went_back(tp, floor):
                    continue
                records = [r for r in records if r.offset >= floor]
            elif records and floor >= 0:
                expected = max(floor, self._polled.get((tp.topic, tp.partition), floor))
                if records[0].offset > expected:  # not merely past DuckDB: past what was handed over too
                    self._count_gap(tp, expected, records[0].offset)
            if not records:
                continue
            self._polled[(tp.topic, tp.partition)] = records[-1].offset + 1
            parts, offsets, keys, values = columns.setdefault(tp.topic, ([], [], [], []))
            parts.extend([tp.partition] * len(records))
            offsets.extend(r.offset for r in records)
            keys.extend(r.key for r in records)
            values.extend(r.value for r in records)
            for r in records:
                if r.headers:  # rare: only replayed rejects carry headers the consumer reads
                    original = _replay_of(r.headers)
                    if original is not None:
                        replays.setdefault(tp.topic, []).append((tp.partition, r.offset, r.value, *original))
            next_offsets[(tp.topic, tp.partition)] = records[-1].offset + 1
            if (tp.topic, tp.partition) in self._topic_ids:
                topic_ids[tp.topic] = self._topic_ids[(tp.topic, tp.partition)]
        batches = {topic: RawBatch(topic, *cols, replays=replays.get(topic, [])) for topic, cols in columns.items()}
        return Poll(batches, next_offsets, self.generation, topic_ids)

    def written(self, next_offsets: Offsets) -> None:
        """DuckDB now holds everything before these offsets; Kafka is told on the polling thread."""
        self._next.update(next_offsets)
        if next_offsets:
            self._commits.put(dict(next_offsets))

    def commit_written(self, wait: bool = False) -> None:
        """Commit to Kafka what DuckDB holds (for monitoring tools; DuckDB stays the source of truth)."""
        latest: Offsets = {}
        while not self._commits.empty():
            latest.update(self._commits.get_nowait())
        if not latest:
            return
        try:
            self._consumer.commit(latest, wait)
        except Exception as exc:
            self.events.error("commit")
            log.warning("committing offsets to Kafka failed (DuckDB holds them; the next commit catches up): %s", exc)

    def lag(self, ask_broker: bool = False) -> Offsets:
        """High watermark minus the next offset to write, for each assigned partition seen so far.

        The high watermarks come with fetched records; while nothing is fetched (the writer stuck
        on a failing disk, say) ask_broker gets them from the broker instead, so lag keeps growing.
        """
        assigned = self._consumer.assignment()
        high_marks: dict[Partition, int | None] = {}
        if ask_broker:
            high_marks.update(self._consumer.end_offsets(assigned) if assigned else {})
        else:
            high_marks.update({tp: self._consumer.highwater(tp) for tp in assigned})
        return {
            (tp.topic, tp.partition): max(0, high - self._next.get((tp.topic, tp.partition), 0))
            for tp, high in high_marks.items()
            if high is not None
        }

    def close(self) -> None:
        self.commit_written(wait=True)
        self._consumer.close()


class Prefetcher:
    """Polls on its own thread into a short queue, so fetching overlaps decoding and writing."""

    def __init__(
        self,
        source: KafkaSource,
        timeout_ms: int,
        max_records: int,
        on_lag: Callable[[Offsets], None],
        depth: int = 2,
        batch_wait_ms: int = 0,
    ) -> None:
        self._source = source
        self._timeout_ms = timeout_ms
        self._max_records = max_records
        self._batch_wait_s = batch_wait_ms / 1000
        self._on_lag = on_lag
        self._queue: queue.Queue[Poll | BaseException] = queue.Queue(maxsize=depth)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kafka-poll", daemon=True)
        self._switch_interval: float | None = None
        source.on_reassign = self._drop_queued

    def start(self) -> None:
        # The polling thread is busy Python (kafka-python decodes records in Python) while the
        # writer makes many short calls into Polars and DuckDB, each of which must take the GIL
        # back. With the default 5 ms switch interval the writer waits up to 5 ms per call; a
        # short interval lets the two threads overlap (measured in docs/BENCHMARKS.md). It is the
        # interpreter's setting, so it holds while the prefetcher runs and is put back by stop().
        self._switch_interval = sys.getswitchinterval()
        sys.setswitchinterval(SWITCH_INTERVAL_S)
        self._thread.start()

    def _drop_queued(self) -> None:
        while True:
            try:
                self._queue.get_nowait()
            except queue.Empty:
                return

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                poll = self._poll(self._timeout_ms, self._max_records)
                if poll is None:
                    return
                poll = self._gathered(poll)
                waiting_since = time.monotonic()
                while poll.size and not self._stop.is_set():
                    try:
                        self._queue.put(poll, timeout=0.2)
                        break
                    except queue.Full:
                        self._source.commit_written()  # keep Kafka's copy moving while the writer is busy
                        if time.monotonic() - waiting_since > STALLED_LAG_EVERY_S:
                            waiting_since = time.monotonic()
                            self._report_stalled_lag()
        except BaseException as exc:
            self._queue.put(exc)

    def _gathered(self, poll: Poll) -> Poll:
        """A small poll joined by what the following polls bring within the batch wait, up to max_records.

        Each batch costs the writer a fixed amount (a transaction, the aggregates' merges, a decode per
        topic) whatever its size: a trickle written poll by poll spends most of a core on it, gathered
        for half a second a few percent. The gathered batch is exactly what one larger poll would have
        returned. If the partitions are reassigned meanwhile, what was gathered is stale (the new
        positions read it again) and gathering starts over from the new poll."""
        if not poll.size or self._batch_wait_s <= 0:
            return poll
        deadline = time.monotonic() + self._batch_wait_s
        while poll.size < self._max_records and not self._stop.is_set():
            left_ms = int((deadline - time.monotonic()) * 1000)
            if left_ms <= 0:
                break
            more = self._poll(left_ms, self._max_records - poll.size)
            if more is None:
                break  # stopping: the batch in hand is dropped by the caller's loop, as when the queue is full
            if more.generation != poll.generation:
                poll = more
            elif more.size:
                poll = poll.joined(more)
        return poll

    def _poll(self, timeout_ms: int, max_records: int) -> Poll | None:
        """One poll, retried by POLL_RETRIES (the broker away, a leader moving: kafka-python reconnects
        on the next poll); None once stopped. A failure outside kafka-python's own errors (a socket
        error) may have taken records without handing them over: go back to what DuckDB holds."""

        def failed(exc: BaseException) -> None:
            self._source.events.error(POLL_RETRIES.stage)
            log.warning("polling Kafka failed, retrying: %r", exc)
            if not isinstance(exc, KafkaError):
                self._source.reposition()

        def poll() -> Poll:
            polled = self._source.poll(timeout_ms, max_records)
            self._on_lag(self._source.lag())
            return polled

        try:
            return POLL_RETRIES.call(poll, self._stop.is_set, failed)
        except POLL_RETRIES.on:
            if self._stop.is_set():
                return None
            raise

    def _report_stalled_lag(self) -> None:
        try:
            self._on_lag(self._source.lag(ask_broker=True))
        except KafkaError as exc:
            self._source.events.error("poll")
            log.warning("asking the broker for high watermarks failed: %r", exc)

    def get(self, timeout_s: float) -> Poll | None:
        """The next batch, or None after timeout_s; raises what the polling thread raised."""
        try:
            item = self._queue.get(timeout=timeout_s)
        except queue.Empty:
            return None
        if isinstance(item, BaseException):
            raise item
        return item

    def stop(self) -> None:
        """Stop polling and wait for the thread; batches not yet written are dropped (re-read next time)."""
        self._stop.set()
        self._drop_queued()
        self._thread.join(timeout=30)
        if self._switch_interval is not None:
            sys.setswitchinterval(self._switch_interval)


def _replay_of(headers: Sequence[tuple[str, bytes | None]]) -> tuple[str, int, int] | None:
    for key, value in headers:
        if key == REPLAY_HEADER and value is not None:
            return parse_replay_header(value)
    return None
