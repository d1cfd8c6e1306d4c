"""Create the contract's topics and the DLQ, idempotently."""

from __future__ import annotations

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import KafkaConnectionError, KafkaTimeoutError, TopicAlreadyExistsError

from streams.contract.events import DLQ_TOPIC, TOPICS
from streams.errors import BrokerError


def admin_client(bootstrap: str, timeout_s: float = 30.0, client_config: dict[str, object] | None = None) -> KafkaAdminClient:
    """An admin client, or a BrokerError that says which address did not answer."""
    try:
        return KafkaAdminClient(bootstrap_servers=bootstrap, bootstrap_timeout_ms=int(timeout_s * 1000), **(client_config or {}))
    except (KafkaTimeoutError, KafkaConnectionError) as exc:
        raise BrokerError(
            f"no Kafka broker answered at {bootstrap} within {timeout_s:.0f} s; "
            "start the local one with `customs-kpi kafka up` or check --bootstrap-servers"
        ) from exc


def ensure_topics(bootstrap: str, partitions: int = 6, client_config: dict[str, object] | None = None) -> list[str]:
    """Create whichever of the event topics and customs.dlq are missing; returns those created."""
    admin = admin_client(bootstrap, client_config=client_config)
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
