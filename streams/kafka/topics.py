"""Create the contract's topics and the DLQ, idempotently."""

from __future__ import annotations

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from streams.contract.events import DLQ_TOPIC, TOPICS


def ensure_topics(bootstrap: str, partitions: int = 6, client_config: dict[str, object] | None = None) -> list[str]:
    """Create whichever of the event topics and customs.dlq are missing; returns those created."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, **(client_config or {}))
    try:
        existing = set(admin.list_topics())
        wanted = [*TOPICS, DLQ_TOPIC]
        missing = [t for t in wanted if t not in existing]
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
