"""Create the contract's topics and the DLQ, idempotently."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from kafka.admin import NewTopic
from kafka.errors import KafkaError, TopicAlreadyExistsError

from streams.config import KafkaConnection
from streams.contract.events import DLQ_TOPIC, TOPICS
from streams.errors import BrokerError
from streams.kafka.clients import admin_client


def check_reachable(connection: KafkaConnection) -> None:
    """Connect once and log in: a clear BrokerError now rather than failed sends later."""
    admin_client(connection).close()


def ensure_topics(
    connection: KafkaConnection, partitions: int = 6, overrides: Mapping[str, object] | None = None, single: tuple[str, ...] = ()
) -> list[str]:
    """Create whichever of the event topics and customs.dlq are missing, and of the `single` topics
    (one partition each: a replica pair's election); returns those created."""
    admin = admin_client(connection, overrides=overrides)
    try:
        existing = set(admin.list_topics())
        missing = [t for t in [*TOPICS, DLQ_TOPIC, *single] if t not in existing]
        created = []
        for topic in missing:
            try:
                admin.create_topics([NewTopic(topic, 1 if topic in single else partitions, 1)])
                created.append(topic)
            except TopicAlreadyExistsError:  # another process created it meanwhile
                pass
        if missing:
            _wait_for_leaders(admin, missing)
        return created
    finally:
        admin.close()


def _wait_for_leaders(admin: Any, topics: list[str], timeout_s: float = 60.0) -> None:
    """Until every partition of the new topics has a leader in the broker's metadata. A consumer
    that joins its group before then is assigned no partitions of them ("No partition metadata")
    and waits for its next metadata refresh, minutes later; a busy machine made that happen."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            described = admin.describe_topics(topics)
            if all(
                not t.get("error_code") and t["partitions"] and all(not p["error_code"] and p["leader_id"] >= 0 for p in t["partitions"])
                for t in described
            ):
                return
        except KafkaError:
            pass  # not known yet
        if time.monotonic() > deadline:
            raise BrokerError(f"the new topics {', '.join(topics)} had no leader within {timeout_s:.0f} s")
        time.sleep(0.1)


def partition_logs(connection: KafkaConnection, topics: list[str]) -> dict[tuple[str, int], tuple[int, str | None]]:
    """Every partition of these topics that the broker has: (its end offset, its topic's id) now;
    BrokerError if the broker cannot say. A topic the broker does not have has no entries."""
    from kafka import TopicPartition

    from streams.kafka.clients import consumer

    check_reachable(connection)
    reader = consumer(connection, client_id="customs-kpi-verify", enable_auto_commit=False)
    try:
        try:
            known = reader.topics()
            parts = [TopicPartition(t, p) for t in topics if t in known for p in reader.partitions(t)]
            ends = reader.end_offsets(parts) if parts else {}
            ids = {t: reader.topic_id(t) for t in {tp.topic for tp in parts}}
        except KafkaError as exc:
            raise BrokerError(f"the broker at {connection.bootstrap_servers} cannot say where its partitions end: {exc}") from exc
        return {(tp.topic, tp.partition): (int(end), ids[tp.topic]) for tp, end in ends.items()}
    finally:
        reader.close()


def partition_log(connection: KafkaConnection, topic: str, partition: int) -> tuple[int, str | None]:
    """(the partition's end offset, the topic's id) as the broker has them now; BrokerError if it cannot say."""
    from kafka import TopicPartition

    from streams.kafka.clients import consumer

    check_reachable(connection)
    reader = consumer(connection, client_id="customs-kpi-offsets", enable_auto_commit=False)
    try:
        tp = TopicPartition(topic, partition)
        try:
            ends = reader.end_offsets([tp])
            topic_id = reader.topic_id(topic, fresh=True)
        except KafkaError as exc:
            raise BrokerError(f"the broker at {connection.bootstrap_servers} cannot say where {topic}[{partition}] ends: {exc}") from exc
        if tp not in ends:
            raise BrokerError(f"the broker at {connection.bootstrap_servers} has no partition {topic}[{partition}]")
        return ends[tp], topic_id
    finally:
        reader.close()
