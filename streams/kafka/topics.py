"""Create the contract's topics and the DLQ, idempotently."""

from __future__ import annotations

from collections.abc import Mapping

from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.config import KafkaConnection
from streams.contract.events import DLQ_TOPIC, TOPICS
from streams.kafka.clients import admin_client


def check_reachable(connection: KafkaConnection) -> None:
    """Connect once and log in: a clear BrokerError now rather than failed sends later."""
    admin_client(connection).close()


def ensure_topics(connection: KafkaConnection, partitions: int = 6, overrides: Mapping[str, object] | None = None) -> list[str]:
    """Create whichever of the event topics and customs.dlq are missing; returns those created."""
    admin = admin_client(connection, overrides=overrides)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in [*TOPICS, DLQ_TOPIC] if t not in existing]
        created = []
        for topic in missing:
            try:
                admin.create_topics([NewTopic(topic, partitions, 1)])
                created.append(topic)
            except TopicAlreadyExistsError:  # another process created it meanwhile
                pass
        return created
    finally:
        admin.close()
