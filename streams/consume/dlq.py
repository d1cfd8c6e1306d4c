"""Copy rejected messages to customs.dlq, with headers naming the reason and the source."""

from __future__ import annotations

import polars as pl
from kafka import KafkaProducer

from streams.contract.events import DLQ_TOPIC

MAX_DETAIL_HEADER = 1024


def dlq_headers(row: dict[str, object]) -> list[tuple[str, bytes]]:
    return [
        ("customs_kpi.reason", str(row["reason"]).encode()),
        ("customs_kpi.detail", str(row["detail"]).encode()[:MAX_DETAIL_HEADER]),
        ("customs_kpi.source_topic", str(row["source_topic"]).encode()),
        ("customs_kpi.source_partition", str(row["source_partition"]).encode()),
        ("customs_kpi.source_offset", str(row["source_offset"]).encode()),
    ]


class DlqPublisher:
    def __init__(self, producer: KafkaProducer) -> None:
        self._producer = producer

    def publish(self, rejects: pl.DataFrame, timeout_s: float = 30.0) -> int:
        """Send every reject and wait for the broker's acknowledgement of all of them."""
        futures = [
            self._producer.send(DLQ_TOPIC, key=row["message_key"], value=row["raw_value"], headers=dlq_headers(row))
            for row in rejects.iter_rows(named=True)
        ]
        self._producer.flush(timeout=timeout_s)
        for f in futures:
            f.get(timeout=timeout_s)
        return len(futures)

    def close(self) -> None:
        self._producer.close(timeout=10)
