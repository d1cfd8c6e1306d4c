"""Every Kafka client of the project is built here, from one KafkaConnection.

Each builder first applies the transport fix of `streams.kafka.eof` (idempotent), so a refused
login reaches the client as the broker's answer. Outside this package the clients are seen only
through the protocols of `streams.kafka.types`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import kafka
from kafka import ConsumerRebalanceListener, KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.coordinator.assignors.sticky.sticky_assignor import StickyPartitionAssignor
from kafka.errors import KafkaConnectionError, KafkaTimeoutError, SaslAuthenticationFailedError, UnsupportedSaslMechanismError
from kafka.errors import KafkaError as KafkaError  # re-exported: what a retry of a Kafka call may cure
from kafka.structs import OffsetAndMetadata

from streams.config import KAFKA_ENV, KafkaConnection
from streams.errors import BrokerError
from streams.kafka import eof
from streams.kafka.types import Delivery, Offsets, Partition, Record

CLIENT_VERSION = kafka.__version__
_SLICE_S = 5.0  # an admin client connects in slices, so that a refused login is reported after one


def client_config(connection: KafkaConnection) -> dict[str, object]:
    """kafka-python's settings for the connection's protocol ({} for plaintext)."""
    config: dict[str, object] = {}
    if connection.security_protocol == "PLAINTEXT":
        return config
    config["security_protocol"] = connection.security_protocol
    if connection.uses_sasl and connection.sasl_password is not None:
        config.update(
            sasl_mechanism=connection.sasl_mechanism,
            sasl_plain_username=connection.sasl_username,
            sasl_plain_password=connection.sasl_password.reveal(),
        )
    if connection.security_protocol.endswith("SSL"):
        for key, path in (
            ("ssl_cafile", connection.ssl_cafile),
            ("ssl_certfile", connection.ssl_certfile),
            ("ssl_keyfile", connection.ssl_keyfile),
        ):
            if path is not None:
                config[key] = str(path)
        config["ssl_check_hostname"] = connection.ssl_check_hostname
    return config


def _settings(connection: KafkaConnection, overrides: Mapping[str, object]) -> dict[str, Any]:
    eof.install()
    return {"bootstrap_servers": connection.bootstrap_servers, **client_config(connection), **overrides}


class _LoginRefusals(logging.Handler):
    """Notices a refused SASL login among kafka-python's log records: its bootstrap retries one
    until the timeout and only logs it, with the client's own exception among the record's
    arguments (kafka-python 3.0 keeps the error in a private table and raises a timeout)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.seen = False

    def emit(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        self.seen = self.seen or any(isinstance(a, (SaslAuthenticationFailedError, UnsupportedSaslMechanismError)) for a in args)


def admin_client(connection: KafkaConnection, timeout_s: float = 30.0, overrides: Mapping[str, object] | None = None) -> Any:
    """An admin client, or a BrokerError that says which address did not answer or refused the login."""
    settings = _settings(connection, overrides or {})
    refused = _LoginRefusals()
    kafka_log = logging.getLogger("kafka")
    kafka_log.addHandler(refused)
    deadline = time.monotonic() + timeout_s
    try:
        while True:
            remaining = deadline - time.monotonic()
            try:
                return KafkaAdminClient(bootstrap_timeout_ms=int(min(remaining, _SLICE_S) * 1000), **settings)
            except (SaslAuthenticationFailedError, UnsupportedSaslMechanismError):
                raise login_refused(connection) from None
            except (KafkaTimeoutError, KafkaConnectionError) as exc:
                if refused.seen:
                    raise login_refused(connection) from None
                if remaining <= _SLICE_S:
                    raise BrokerError(
                        f"no Kafka broker answered at {connection.bootstrap_servers} within {timeout_s:.0f} s; "
                        "start the local one with `customs-kpi kafka up` or check --bootstrap-servers"
                    ) from exc
    finally:
        kafka_log.removeHandler(refused)


def login_refused(connection: KafkaConnection) -> BrokerError:
    return BrokerError(
        f"Kafka at {connection.bootstrap_servers} refused the login: authentication failed for user {connection.sasl_username!r} "
        f"with {connection.sasl_mechanism}; check {KAFKA_ENV}SASL_USERNAME, {KAFKA_ENV}SASL_PASSWORD and {KAFKA_ENV}SASL_MECHANISM"
    )


class _Producer:
    """kafka-python's producer behind the EventProducer protocol."""

    def __init__(self, producer: Any) -> None:
        self._producer = producer

    @property
    def max_request_size(self) -> int:
        return int(self._producer.config["max_request_size"])

    def send(self, topic: str, key: bytes | None, value: bytes | None, headers: list[tuple[str, bytes]] | None = None) -> Delivery:
        delivery: Delivery = self._producer.send(topic, key=key, value=value, headers=headers)
        return delivery

    def flush(self, timeout: float | None = None) -> None:
        self._producer.flush(timeout=timeout)

    def close(self, timeout: float | None = None) -> None:
        self._producer.close(timeout=timeout)


def producer(connection: KafkaConnection, **overrides: object) -> _Producer:
    """A producer with the connection's settings and the given kafka-python overrides (acks, linger_ms, ...)."""
    return _Producer(KafkaProducer(**_settings(connection, overrides)))


class _Listener(ConsumerRebalanceListener):  # type: ignore[misc]  # kafka-python has no type information
    def __init__(
        self,
        on_assigned: Callable[[set[Partition]], None],
        on_revoked: Callable[[set[Partition]], None],
        on_lost: Callable[[set[Partition]], None] | None = None,
    ) -> None:
        self._on_assigned, self._on_revoked = on_assigned, on_revoked
        self._on_lost = on_lost or on_revoked  # forced out of the group (session expired): revoked, without a say

    def on_partitions_revoked(self, revoked: set[Partition]) -> None:
        self._on_revoked(set(revoked))

    def on_partitions_lost(self, lost: set[Partition]) -> None:
        self._on_lost(set(lost))

    def on_partitions_assigned(self, assigned: set[Partition]) -> None:
        self._on_assigned(set(assigned))


class _Consumer:
    """kafka-python's consumer behind the EventConsumer protocol."""

    def __init__(self, consumer: Any) -> None:
        self._consumer = consumer

    def subscribe(
        self,
        topics: Sequence[str],
        on_assigned: Callable[[set[Partition]], None],
        on_revoked: Callable[[set[Partition]], None],
        on_lost: Callable[[set[Partition]], None] | None = None,
    ) -> None:
        # The topics' partitions known first: kafka-python's group leader assigns from its metadata
        # cache, and a join that overtakes the first metadata answer (topics just created, a busy
        # machine) assigns none of them ("No partition metadata for topic") and reads nothing.
        for topic in topics:
            self._consumer.partitions_for_topic(topic)
        self._consumer.subscribe(list(topics), listener=_Listener(on_assigned, on_revoked, on_lost))

    def poll(self, timeout_ms: int, max_records: int) -> Mapping[Partition, Sequence[Record]]:
        polled: Mapping[Partition, Sequence[Record]] = self._consumer.poll(timeout_ms=timeout_ms, max_records=max_records)
        return polled

    def assignment(self) -> set[Partition]:
        return set(self._consumer.assignment())

    def seek(self, partition: Partition, offset: int) -> None:
        self._consumer.seek(partition, offset)

    def seek_to_beginning(self, partition: Partition) -> None:
        self._consumer.seek_to_beginning(partition)

    def pause(self, partition: Partition) -> None:
        self._consumer.pause(partition)

    def highwater(self, partition: Partition) -> int | None:
        high: int | None = self._consumer.highwater(partition)
        return high

    def end_offsets(self, partitions: Iterable[Partition]) -> Mapping[Partition, int]:
        ends: Mapping[Partition, int] = self._consumer.end_offsets(list(partitions))
        return ends

    def beginning_offsets(self, partitions: Iterable[Partition]) -> Mapping[Partition, int]:
        begins: Mapping[Partition, int] = self._consumer.beginning_offsets(list(partitions))
        return begins

    def topics(self) -> set[str]:
        """The topics the broker has (a metadata request; it refreshes the cached topic ids too)."""
        return set(self._consumer.topics())

    def partitions(self, topic: str) -> list[int]:
        """The topic's partition numbers in the metadata (empty if it has none)."""
        return sorted(self._consumer.partitions_for_topic(topic) or ())

    def topic_id(self, topic: str, fresh: bool = False) -> str | None:
        """The topic's id (KIP-516) in the consumer's metadata: new each time the topic is created; None if not known.

        fresh: ask the broker first (a metadata request), instead of trusting the cached metadata."""
        if fresh:
            self._consumer.topics()  # always a remote call; it refreshes the cached ids too
        found = self._consumer._cluster.topic_id(topic)  # kafka-python keeps it in its metadata cache, with no public accessor
        return None if found is None else str(found)

    def commit(self, offsets: Offsets, wait: bool) -> None:
        commits = {TopicPartition(t, p): OffsetAndMetadata(o, "", -1) for (t, p), o in offsets.items()}
        if wait:
            self._consumer.commit(offsets=commits)
        else:
            self._consumer.commit_async(offsets=commits)

    def close(self) -> None:
        self._consumer.close(autocommit=False)


def consumer(connection: KafkaConnection, **overrides: object) -> _Consumer:
    """A consumer with the connection's settings and the given kafka-python overrides (group, fetch sizes, ...)."""
    return _Consumer(KafkaConsumer(**_settings(connection, overrides)))


def elector(connection: KafkaConnection, group_id: str, member: str, session_timeout_ms: int) -> _Consumer:
    """A member of a replica pair's election group (streams/consume/election.py). The sticky assignor
    leaves the one partition where it is when a member joins, so a replica that comes back does not
    take the lead back; the heartbeat runs five times per session; a rebalance waits at most about a
    session for a member to rejoin (the member polls twice a second)."""
    return consumer(
        connection,
        group_id=group_id,
        client_id=member,
        session_timeout_ms=session_timeout_ms,
        heartbeat_interval_ms=max(100, session_timeout_ms // 5),
        max_poll_interval_ms=max(10_000, session_timeout_ms),
        partition_assignment_strategy=(StickyPartitionAssignor,),
        enable_auto_commit=False,
        auto_offset_reset="latest",
    )
