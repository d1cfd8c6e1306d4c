"""Create the contract's topics and the DLQ, idempotently."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping

from kafka import KafkaAdminClient
from kafka.admin import NewTopic
from kafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    SaslAuthenticationFailedError,
    TopicAlreadyExistsError,
    UnsupportedSaslMechanismError,
)

from streams.contract.events import DLQ_TOPIC, TOPICS
from streams.errors import BrokerError
from streams.kafka.security import client_security


def admin_client(
    bootstrap: str,
    timeout_s: float = 30.0,
    client_config: dict[str, object] | None = None,
    security: Mapping[str, object] | None = None,
) -> KafkaAdminClient:
    """An admin client (connecting as the environment says unless `security` is given), or a
    BrokerError that says which address did not answer."""
    config = {**(client_security() if security is None else security), **(client_config or {})}
    refused = _AuthFailures()
    kafka_log = logging.getLogger("kafka")
    kafka_log.addHandler(refused)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            # In slices, so that a refused login (which kafka-python retries until the timeout and
            # only logs) is reported after one slice rather than after the whole timeout.
            remaining = deadline - time.monotonic()
            try:
                return KafkaAdminClient(bootstrap_servers=bootstrap, bootstrap_timeout_ms=int(min(remaining, _SLICE_S) * 1000), **config)
            except (SaslAuthenticationFailedError, UnsupportedSaslMechanismError):
                raise _login_refused(bootstrap, config) from None
            except (KafkaTimeoutError, KafkaConnectionError) as exc:
                if refused.seen:
                    raise _login_refused(bootstrap, config) from None
                if remaining <= _SLICE_S:
                    raise BrokerError(
                        f"no Kafka broker answered at {bootstrap} within {timeout_s:.0f} s; "
                        "start the local one with `customs-kpi kafka up` or check --bootstrap-servers"
                    ) from exc
    finally:
        kafka_log.removeHandler(refused)


_SLICE_S = 5.0


class _AuthFailures(logging.Handler):
    """Notices kafka-python's log line for a refused SASL login."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        self.seen = self.seen or "Authentication failed" in record.getMessage() or "SaslAuthenticationFailed" in record.getMessage()


def _login_refused(bootstrap: str, config: Mapping[str, object]) -> BrokerError:
    return BrokerError(
        f"Kafka at {bootstrap} refused the login: authentication failed for user {config.get('sasl_plain_username')!r} "
        f"with {config.get('sasl_mechanism')}; check CUSTOMS_KPI_KAFKA_SASL_USERNAME, CUSTOMS_KPI_KAFKA_SASL_PASSWORD "
        "and CUSTOMS_KPI_KAFKA_SASL_MECHANISM"
    )


def ensure_topics(
    bootstrap: str, partitions: int = 6, client_config: dict[str, object] | None = None, security: Mapping[str, object] | None = None
) -> list[str]:
    """Create whichever of the event topics and customs.dlq are missing; returns those created."""
    admin = admin_client(bootstrap, client_config=client_config, security=security)
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
