"""The Kafka side of the consumer: subscribe, seek to DuckDB's offsets, poll batches, commit."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from kafka import ConsumerRebalanceListener, KafkaConsumer, TopicPartition
from kafka.structs import OffsetAndMetadata

from streams.decode.batch import RawBatch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Poll:
    """One poll's records grouped by topic, and the next offset of every partition it touched."""

    batches: dict[str, RawBatch]
    next_offsets: dict[tuple[str, int], int]

    @property
    def size(self) -> int:
        return sum(len(b.offsets) for b in self.batches.values())


class _SeekToStoredOffsets(ConsumerRebalanceListener):
    """On every assignment, position each partition where DuckDB says to continue."""

    def __init__(self, source: KafkaSource) -> None:
        self._source = source

    def on_partitions_revoked(self, revoked: set[TopicPartition]) -> None:
        log.info("partitions revoked: %s", sorted((tp.topic, tp.partition) for tp in revoked))

    def on_partitions_assigned(self, assigned: set[TopicPartition]) -> None:
        self._source.seek_assigned(assigned)


class KafkaSource:
    def __init__(self, consumer: KafkaConsumer, topics: list[str], stored_offsets: Callable[[], dict[tuple[str, int], int]]) -> None:
        self._consumer = consumer
        self._stored_offsets = stored_offsets
        self._next: dict[tuple[str, int], int] = {}
        consumer.subscribe(topics, listener=_SeekToStoredOffsets(self))

    def seek_assigned(self, assigned: set[TopicPartition]) -> None:
        stored = self._stored_offsets()
        for tp in assigned:
            offset = stored.get((tp.topic, tp.partition))
            if offset is None:
                self._consumer.seek_to_beginning(tp)
                self._next.pop((tp.topic, tp.partition), None)
            else:
                self._consumer.seek(tp, offset)
                self._next[(tp.topic, tp.partition)] = offset
        log.info("assigned %d partitions, positioned at DuckDB's offsets", len(assigned))

    def poll(self, timeout_ms: int, max_records: int) -> Poll:
        polled = self._consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
        columns: dict[str, tuple[list[int], list[int], list[bytes | None], list[bytes | None]]] = {}
        next_offsets: dict[tuple[str, int], int] = {}
        for tp, records in polled.items():
            floor = self._next.get((tp.topic, tp.partition), -1)
            if records and records[0].offset < floor:  # never hand back what DuckDB already holds
                records = [r for r in records if r.offset >= floor]
            if not records:
                continue
            parts, offsets, keys, values = columns.setdefault(tp.topic, ([], [], [], []))
            parts.extend([tp.partition] * len(records))
            offsets.extend(r.offset for r in records)
            keys.extend(r.key for r in records)
            values.extend(r.value for r in records)
            next_offsets[(tp.topic, tp.partition)] = records[-1].offset + 1
        batches = {topic: RawBatch(topic, *cols) for topic, cols in columns.items()}
        return Poll(batches, next_offsets)

    def written(self, next_offsets: dict[tuple[str, int], int]) -> None:
        """Record that DuckDB now holds everything before these offsets; tell Kafka too (for tools)."""
        self._next.update(next_offsets)
        commits = {TopicPartition(t, p): OffsetAndMetadata(o, "", -1) for (t, p), o in next_offsets.items()}
        if commits:
            try:
                self._consumer.commit_async(offsets=commits)
            except Exception as exc:
                log.warning("committing offsets to Kafka failed (DuckDB holds them): %s", exc)

    def lag(self) -> dict[tuple[str, int], int]:
        """High watermark minus position, for each assigned partition the fetcher has seen."""
        result = {}
        for tp in self._consumer.assignment():
            high = self._consumer.highwater(tp)
            if high is None:
                continue
            position = self._next.get((tp.topic, tp.partition), 0)
            result[(tp.topic, tp.partition)] = max(0, high - position)
        return result

    def close(self) -> None:
        self._consumer.close(autocommit=False)
