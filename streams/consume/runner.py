"""Wire the consumer together from settings: store, topics, metrics endpoint, Kafka, signals."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import polars

from streams.config import ConsumerSettings
from streams.consume.dlq import DlqPublisher
from streams.consume.election import Election
from streams.consume.pipeline import Pipeline
from streams.consume.publisher import LakePublisher
from streams.consume.source import KafkaSource, SourceEvents
from streams.contract.events import LEADER_TOPIC, TOPICS
from streams.kafka import clients
from streams.kafka.topics import ensure_topics
from streams.kpi.targets import load_targets
from streams.observe.kpi_collector import READS, KpiCollector
from streams.observe.pipeline import PipelineMetrics
from streams.observe.server import CollectorRegistry, serve_metrics
from streams.read import latest_event_time, read_snapshot
from streams.store import EventStore, duckdb_version, open_store, write_reference

log = logging.getLogger(__name__)


def wall_clock() -> datetime:
    return datetime.now(UTC)


def build_registry(
    store: EventStore, settings: ConsumerSettings, clock: Callable[[], datetime]
) -> tuple[CollectorRegistry, PipelineMetrics]:
    """The pipeline's own metrics and the KPI collector, which reads the store's aggregates at each scrape."""
    registry = CollectorRegistry()
    metrics = _metrics(registry)
    as_of = latest_event_time if settings.clock == "event" else (lambda _con: clock())
    registry.register(KpiCollector(lambda: read_snapshot(store, as_of, READS), settings.clock))
    return registry, metrics


def build_pipeline(
    settings: ConsumerSettings, clock: Callable[[], datetime] = wall_clock
) -> tuple[Pipeline, CollectorRegistry, Callable[[], None]]:
    """Open the store (failing fast if another process writes it), the topics, Kafka and the metrics.

    Returns the pipeline, its registry and a function that closes everything it opened.
    """
    store = open_store(settings.db_path, memory_limit=settings.memory_limit)
    closers: list[Callable[[], None]] = [store.close]

    def close() -> None:
        for closer in reversed(closers):
            closer()

    try:
        book = load_targets(settings.targets_file)
        write_reference(store, book)  # the targets and curves the SQL views use
        ensure_topics(settings.kafka, settings.partitions, single=(LEADER_TOPIC,) if settings.replica is not None else ())
        registry, metrics = build_registry(store, settings, clock)
        consumer = clients.consumer(
            settings.kafka,
            group_id=settings.effective_group_id,
            # Static membership: a consumer restarted after a crash takes its partitions back at
            # once instead of waiting for the dead member's session to expire. One writer per
            # database file means one member per group, so the instance id can follow the group.
            group_instance_id=f"{settings.effective_group_id}-writer",
            session_timeout_ms=10_000,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            max_poll_records=settings.max_poll_records,
            fetch_max_bytes=64 * 1024 * 1024,
            max_partition_fetch_bytes=8 * 1024 * 1024,
            client_id="customs-kpi-consumer",
        )
        events = SourceEvents(
            error=lambda stage: metrics.errors.labels(stage).inc(),
            skipped=lambda topic, partition, n: metrics.skipped.labels(topic, str(partition)).inc(n),
            stopped=lambda topic, partition, stopped: metrics.stopped.labels(topic, str(partition)).set(int(stopped)),
        )
        source = KafkaSource(consumer, list(TOPICS), store.stored_offsets, store.stored_topic_ids, events=events)
        closers.append(source.close)
        producer = clients.producer(settings.kafka, acks="all", enable_idempotence=True, linger_ms=5)
        dlq = DlqPublisher(producer)
        closers.append(dlq.close)
        election = None
        if settings.replica is not None:
            member = f"customs-kpi-{settings.replica}"
            elector = clients.elector(settings.kafka, settings.leader_group, member, settings.leader_session_timeout_ms)
            election = Election(elector, LEADER_TOPIC, settings.replica)
    except BaseException:
        close()
        raise
    publisher = None
    if (lake := settings.lake) is not None:
        publisher = LakePublisher(
            store,
            lake,
            settings.publish_every_s,
            settings.maintain_every_s,
            clock,
            on_published=metrics.lake_publication,
            on_error=metrics.errors.labels("lake").inc,
            on_current=metrics.lake_current.set_to_current_time,
            on_verified=metrics.verified,
            election=election,
            on_leader=metrics.leads,
        )
        metrics.lake_leader.set(1 if election is None else 0)
        closers.insert(1, publisher.close)  # closed after the pipeline stops, before the store
        if election is not None:
            # Left after the last publication (the other replica is elected at once), before the store closes.
            closers.insert(2, election.close)
            election.start()
            log.info("replica %s: elected through group %s of %s", settings.replica, settings.leader_group, LEADER_TOPIC)
        log.info("publishing to the lake %s every %g s", lake.describe(), settings.publish_every_s)
        publisher.maybe_publish(final=True)  # at once, so readers have the lake while Kafka is still being joined
    pipeline = Pipeline(
        source, store, dlq, metrics, clock, settings.max_poll_records, settings.poll_timeout_ms, publisher, settings.batch_wait_ms
    )
    return pipeline, registry, close


def _metrics(registry: CollectorRegistry) -> PipelineMetrics:
    return PipelineMetrics.create(
        registry, {"kafka_python": clients.CLIENT_VERSION, "duckdb": duckdb_version(), "polars": polars.__version__}
    )


@contextmanager
def serving(settings: ConsumerSettings, clock: Callable[[], datetime] = wall_clock) -> Iterator[Pipeline]:
    """The pipeline, with /metrics served, until the block ends; then everything it opened is closed.

    The caller runs it (`pipeline.run()`) and stops it (`pipeline.stop()`, e.g. from a signal
    handler); the batch in hand is finished and committed before run() returns."""
    pipeline, registry, close = build_pipeline(settings, clock=clock)
    server = None
    try:
        labels = {"replica": settings.replica} if settings.replica is not None else None
        server = serve_metrics(registry, settings.metrics_port, settings.metrics_host, labels)
        log.info(
            "consuming %s from %s (%s) into %s (group %s, memory limit %s); metrics on http://%s:%d/metrics",
            ", ".join(TOPICS),
            settings.kafka.bootstrap_servers,
            settings.kafka.describe(),
            settings.db_path,
            settings.effective_group_id,
            settings.memory_limit or "DuckDB's default",
            settings.metrics_host,
            settings.metrics_port,
        )
        yield pipeline
    finally:
        if server is not None:
            server.shutdown()
        close()
