"""Pipeline health metrics kept in memory by the consumer (prefix customs_kpi_)."""

from __future__ import annotations

import platform
from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

import streams

ERROR_STAGES = ("poll", "decode", "write", "commit", "dlq", "lake")
CONSUMER_CHECKS = ("published", "offsets", "aggregates", "lake")  # streams/read/verify.py, as the consumer runs them


@dataclass
class PipelineMetrics:
    batch_duration: Histogram
    batch_records: Histogram
    lag: Gauge
    last_commit: Gauge
    errors: Counter
    dlq_published: Counter
    up: Gauge
    lake_published: Gauge
    lake_current: Gauge
    lake_duration: Histogram
    lake_events: Counter
    skipped: Counter
    stopped: Gauge
    verify_differences: Gauge
    verify_last: Gauge
    verify_duration: Gauge
    lake_leader: Gauge

    @classmethod
    def create(cls, registry: CollectorRegistry, versions: dict[str, str]) -> PipelineMetrics:
        build = Gauge("customs_kpi_build_info", "Build information; always 1.", ["version", "python", *versions], registry=registry)
        build.labels(streams.__version__, platform.python_version(), *versions.values()).set(1)
        metrics = cls(
            batch_duration=Histogram(
                "customs_kpi_batch_duration_seconds",
                "Time to decode and write one polled batch, with its offsets.",
                ["stage"],
                registry=registry,
                buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            ),
            batch_records=Histogram(
                "customs_kpi_batch_records",
                "Records per polled batch.",
                registry=registry,
                buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10000, 20000),
            ),
            lag=Gauge(
                "customs_kpi_consumer_lag_records",
                "High watermark minus the next offset to read.",
                ["topic", "partition"],
                registry=registry,
            ),
            last_commit=Gauge("customs_kpi_last_commit_timestamp_seconds", "Wall time of the last committed batch.", registry=registry),
            errors=Counter(
                "customs_kpi_errors",
                "Errors by stage (poll: reading Kafka; decode: a message made decoding raise, rejected as decode_error;"
                " write: storing a batch in DuckDB, retried when transient; commit: copying offsets to Kafka;"
                " dlq: copying rejects to customs.dlq, retried; lake: publishing to the analysts' lake, retried).",
                ["stage"],
                registry=registry,
            ),
            dlq_published=Counter("customs_kpi_dlq_published_records", "Rejects copied to customs.dlq.", registry=registry),
            up=Gauge("customs_kpi_consumer_running", "1 while the consumer loop runs.", registry=registry),
            lake_published=Gauge(
                "customs_kpi_lake_published_timestamp_seconds",
                "When the last publication to the analysts' lake committed (a publication that found nothing new does not count).",
                registry=registry,
            ),
            lake_current=Gauge(
                "customs_kpi_lake_current_timestamp_seconds",
                "When the analysts' lake last held everything the store held: a publication, or one that found nothing new "
                "(0 while the lake is off or has not been current yet).",
                registry=registry,
            ),
            lake_duration=Histogram(
                "customs_kpi_lake_publish_duration_seconds",
                "Time of one publication to the analysts' lake (one DuckLake transaction of what is new).",
                registry=registry,
                buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
            ),
            lake_events=Counter("customs_kpi_lake_published_events", "Event rows appended to the analysts' lake.", registry=registry),
            skipped=Counter(
                "customs_kpi_records_skipped",
                "Records the broker deleted (retention) before the consumer read them: lost to the KPIs.",
                ["topic", "partition"],
                registry=registry,
            ),
            stopped=Gauge(
                "customs_kpi_partition_stopped",
                "1 while a partition is not read because its log ends before the offset DuckDB holds"
                " (topic recreated or broker data wiped); see `customs-kpi offsets accept-new-log`.",
                ["topic", "partition"],
                registry=registry,
            ),
            verify_differences=Gauge(
                "customs_kpi_verify_differences",
                "Differences the last run of each check found between the store, its aggregates and the lake "
                "(published: after each publication; offsets, aggregates, lake: on the upkeep schedule). Must be 0.",
                ["check"],
                registry=registry,
            ),
            verify_last=Gauge(
                "customs_kpi_verify_last_run_timestamp_seconds",
                "When each check last ran to its end (0: not yet in this process).",
                ["check"],
                registry=registry,
            ),
            verify_duration=Gauge(
                "customs_kpi_verify_duration_seconds", "How long each check's last run took.", ["check"], registry=registry
            ),
            lake_leader=Gauge(
                "customs_kpi_lake_leader",
                "1 while this process publishes the lake and feeds the DLQ (a single consumer with a lake: always; "
                "a replica of a pair: while it leads).",
                registry=registry,
            ),
        )
        for stage in ERROR_STAGES:  # exposed at 0 from the start, so rate() and dashboards see every stage
            metrics.errors.labels(stage)
        for check in CONSUMER_CHECKS:  # 0 differences and never run, until the check runs (only with a lake)
            metrics.verify_differences.labels(check)
            metrics.verify_last.labels(check)
            metrics.verify_duration.labels(check)
        return metrics

    def verified(self, check: str, differences: int, seconds: float) -> None:
        """A check (streams/read/verify.py) ran to its end and found this many differences."""
        self.verify_differences.labels(check).set(differences)
        self.verify_duration.labels(check).set(seconds)
        self.verify_last.labels(check).set_to_current_time()

    def leads(self, leading: bool) -> None:
        """A replica took the lake's lead (1) or stepped down (0): a replica that does not lead keeps
        no lake current, so its lake gauges go back to 0 (CustomsKpiLakeStale watches the leader's)."""
        self.lake_leader.set(int(leading))
        if not leading:
            self.lake_current.set(0)
            self.lake_published.set(0)

    def lake_publication(self, seconds: float, events: int) -> None:
        """A publication to the lake took this long and appended this many events."""
        self.lake_duration.observe(seconds)
        self.lake_published.set_to_current_time()
        self.lake_events.inc(events)
