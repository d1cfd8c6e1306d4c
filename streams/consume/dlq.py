"""Copy rejected messages to customs.dlq, with headers naming the reason and the source."""

from __future__ import annotations

import polars as pl

from streams.contract.events import DLQ_TOPIC
from streams.kafka.types import Delivery, EventProducer

MAX_DETAIL_HEADER = 1024
RECORD_OVERHEAD = 512  # a record batch's own bytes around one record, generously
TRUNCATED_HEADER = "customs_kpi.value_truncated"


def dlq_headers(row: dict[str, object]) -> list[tuple[str, bytes]]:
    return [
        ("customs_kpi.reason", str(row["reason"]).encode()),
        ("customs_kpi.detail", str(row["detail"]).encode()[:MAX_DETAIL_HEADER]),
        ("customs_kpi.source_topic", str(row["source_topic"]).encode()),
        ("customs_kpi.source_partition", str(row["source_partition"]).encode()),
        ("customs_kpi.source_offset", str(row["source_offset"]).encode()),
    ]


class DlqPublisher:
    def __init__(self, producer: EventProducer) -> None:
        self._producer = producer

    def publish(self, rejects: pl.DataFrame, timeout_s: float = 30.0) -> int:
        """Send every reject and wait for the broker's acknowledgement of all of them.

        A reject can be larger than one producer request (up to what the broker took, plus the
        headers): its copy then carries the start of the value and a `customs_kpi.value_truncated`
        header with the full length. Refusing it instead would block every later reject behind it
        for good; the full bytes stay in DuckDB's rejects table."""
        limit = self._producer.max_request_size
        futures: list[Delivery] = []
        for row in rejects.iter_rows(named=True):
            key, value, headers = row["message_key"], row["raw_value"], dlq_headers(row)
            room = limit - RECORD_OVERHEAD - len(key or b"") - sum(len(k) + len(v) for k, v in headers) - len(TRUNCATED_HEADER) - 20
            if value is not None and len(value) > room:
                headers.append((TRUNCATED_HEADER, str(len(value)).encode()))
                value = value[: max(0, room)]
            futures.append(self._producer.send(DLQ_TOPIC, key, value, headers))
        self._producer.flush(timeout=timeout_s)
        for f in futures:
            f.get(timeout=timeout_s)
        return len(futures)

    def close(self) -> None:
        self._producer.close(timeout=10)
