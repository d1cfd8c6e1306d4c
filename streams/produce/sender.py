"""Idempotent, acknowledged delivery to Kafka, with failures counted and reported."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from streams.config import KafkaConnection
from streams.kafka import clients
from streams.kafka.clients import KafkaError

log = logging.getLogger(__name__)


@dataclass
class SendReport:
    sent: int = 0
    failed: int = 0
    errors: dict[str, int] = field(default_factory=dict)


class EventSender:
    """Sends values with acks=all and idempotence; `close()` waits for every acknowledgement."""

    def __init__(self, connection: KafkaConnection, *, linger_ms: int = 20, overrides: dict[str, object] | None = None) -> None:
        config: dict[str, object] = {
            "acks": "all",
            "enable_idempotence": True,
            "linger_ms": linger_ms,
            "batch_size": 256 * 1024,
            "max_request_size": 2 * 1024 * 1024,
            "retries": 2**31 - 1,
            # A send is retried for two minutes (a broker restart takes seconds), then reported failed.
            "delivery_timeout_ms": 120_000,
            "client_id": "customs-kpi-producer",
            **(overrides or {}),
        }
        self._producer = clients.producer(connection, **config)
        self.report = SendReport()
        self._pending = 0

    def send(self, topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]] | None = None) -> None:
        self._pending += 1
        try:
            future = self._producer.send(topic, key, value, headers)
        except KafkaError as exc:  # the buffer stayed full or metadata unavailable for max_block_ms
            self._failed(exc)
            return
        future.add_callback(self._ok)
        future.add_errback(self._failed)

    def _ok(self, _metadata: object) -> None:
        self.report.sent += 1

    def _failed(self, exc: BaseException) -> None:
        self.report.failed += 1
        name = type(exc).__name__
        self.report.errors[name] = self.report.errors.get(name, 0) + 1
        log.error("delivery failed: %s", exc)

    @property
    def acknowledged(self) -> int:
        return self.report.sent + self.report.failed

    def flush(self, timeout_s: float | None = None) -> None:
        self._producer.flush(timeout=timeout_s)

    def close(self, timeout_s: float = 120.0) -> SendReport:
        """Flush, wait for every outstanding delivery, and report; undelivered sends count as failed."""
        try:
            self._producer.flush(timeout=timeout_s)
        finally:
            self._producer.close(timeout=timeout_s)
        missing = self._pending - self.acknowledged
        if missing > 0:
            self.report.failed += missing
            self.report.errors["NotAcknowledged"] = self.report.errors.get("NotAcknowledged", 0) + missing
        return self.report
