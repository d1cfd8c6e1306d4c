"""The contract's KPI metrics, read from DuckDB's aggregates on every scrape (so restarts restore them).

Most families are one sample per row of one file of sql/metrics/: FAMILIES names the file, the
labels (each from a column) and the value's column, and one loop fills them (as client_python's
platform collector takes its label names from its data). Code is written only where a family needs
it: the pace figures (one ytd per department whatever its levels; a value only where its
denominator is not 0), the release histogram, the reject reasons that start from 0, the clock.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from itertools import groupby

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from streams.contract.events import TOPICS
from streams.decode.reasons import RejectReason
from streams.read import KpiSnapshot

GAUGE, COUNTER, HISTOGRAM = "gauge", "counter", "histogram"
DEPARTMENT = {"department": "department_code"}


@dataclass(frozen=True)
class Family:
    """One metric family: with `source` and `value`, one sample per row of sql/metrics/<source>.sql,
    its labels from the columns `labels` names; without, filled by the collector's own code."""

    name: str
    kind: str
    help: str
    labels: dict[str, str] = field(default_factory=dict)  # label -> column of the source's rows
    source: str | None = None
    value: str | None = None


# In the order /metrics lists them.
FAMILIES = (
    Family(
        "customs_revenue_collected_vnd", COUNTER, "Gross revenue collections, all time, VND.", DEPARTMENT, "revenue_totals", "collected_vnd"
    ),
    Family("customs_revenue_refunded_vnd", COUNTER, "Refunds, all time, VND.", DEPARTMENT, "revenue_totals", "refunded_vnd"),
    Family("customs_revenue_ytd_vnd", GAUGE, "Net revenue from the start of the local year of as_of up to as_of, VND.", DEPARTMENT),
    Family("customs_revenue_target_vnd", GAUGE, "Annual target of the year of as_of, VND.", {**DEPARTMENT, "level": "level"}),
    Family("customs_revenue_plan_to_date_vnd", GAUGE, "Target x plan_share(as_of), VND.", {**DEPARTMENT, "level": "level"}),
    Family("customs_revenue_pace_ratio", GAUGE, "ytd / plan_to_date.", {**DEPARTMENT, "level": "level"}),
    Family("customs_revenue_projected_year_end_vnd", GAUGE, "ytd / plan_share(as_of), VND.", DEPARTMENT),
    Family("customs_revenue_national_target_vnd", GAUGE, "National annual target of the year of as_of, VND.", {"level": "level"}),
    Family("customs_revenue_national_plan_to_date_vnd", GAUGE, "National target x plan_share(as_of), VND.", {"level": "level"}),
    Family("customs_revenue_national_pace_ratio", GAUGE, "National ytd / plan_to_date.", {"level": "level"}),
    Family("customs_revenue_national_projected_year_end_vnd", GAUGE, "National ytd / plan_share(as_of), VND."),
    Family(
        "customs_revenue_same_period_last_year_vnd",
        GAUGE,
        "Net revenue from 1 January of the year before up to as_of minus one year (local time), VND: ytd / this is the year-on-year ratio.",
        DEPARTMENT,
        "same_period_last_year",
        "ytd_vnd",
    ),
    Family(
        "customs_declarations",
        COUNTER,
        "Registered declarations.",
        {**DEPARTMENT, "flow": "flow", "channel": "channel"},
        "declarations",
        "declarations",
    ),
    Family("customs_seizures", COUNTER, "Seizure cases.", {**DEPARTMENT, "category": "category"}, "seizures", "cases"),
    Family(
        "customs_seizure_goods_value_vnd",
        COUNTER,
        "Value of seized goods, VND.",
        {**DEPARTMENT, "category": "category"},
        "seizures",
        "goods_value_vnd",
    ),
    # Beyond the contract's fixed names (additions, same conventions):
    Family(
        "customs_revenue_by_tax_type_vnd",
        COUNTER,
        "Collections and refunds by tax type, all time, VND.",
        {**DEPARTMENT, "tax_type": "tax_type", "kind": "kind"},
        "revenue_by_tax_type",
        "amount_vnd",
    ),
    Family(
        "customs_declaration_release_seconds",
        HISTOGRAM,
        "Release time (cleared minus registered) of cleared declarations.",
        {"channel": "channel"},
    ),
    Family(
        "customs_seizures_prosecuted",
        COUNTER,
        "Seizure cases with criminal proceedings.",
        {**DEPARTMENT, "category": "category"},
        "seizures",
        "prosecuted",
    ),
    Family(
        "customs_seizures_reporting_period_cases",
        GAUGE,
        "Seizure cases in the reporting period (16th to 15th, local time) that contains as_of.",
        {**DEPARTMENT, "category": "category"},
        "period_cases",
        "cases",
    ),
    Family(
        "customs_last_event_timestamp_seconds",
        GAUGE,
        "Latest occurred_at accepted, Unix seconds.",
        {**DEPARTMENT, "stream": "stream"},
        "streams",
        "last_event_seconds",
    ),
    Family(
        "customs_kpi_events",
        COUNTER,
        "Accepted events by department and stream, from DuckDB.",
        {**DEPARTMENT, "stream": "stream"},
        "streams",
        "events",
    ),
    Family("customs_kpi_as_of_timestamp_seconds", GAUGE, "The as_of time the pace figures are computed for, Unix seconds.", {"clock": ""}),
    Family(
        "customs_kpi_records",
        COUNTER,
        "Consumed records by outcome (accepted, duplicate, rejected), from DuckDB.",
        {"topic": "topic", "outcome": "outcome"},
        "records",
        "records",
    ),
    Family("customs_kpi_rejects", COUNTER, "Rejected records by reason, from DuckDB.", {"topic": "topic", "reason": "reason"}),
    Family(
        "customs_kpi_target_info",
        GAUGE,
        "Targets in force for the year of as_of; status says official or illustrative.",
        {"scope": "scope", "level": "level", "status": "status"},
    ),
)
_KINDS: dict[str, Callable[..., Metric]] = {GAUGE: GaugeMetricFamily, COUNTER: CounterMetricFamily, HISTOGRAM: HistogramMetricFamily}


# Row types of the files the collector's own code reads (fields: the files' declared columns, read by name).
@dataclass(frozen=True)
class NationalProgress:
    level: str | None  # None: no target for the year
    ytd_vnd: int
    target_vnd: int | None
    plan_to_date_vnd: float | None
    pace_ratio: float | None
    projected_year_end_vnd: float | None


@dataclass(frozen=True)
class Progress(NationalProgress):
    department_code: str


@dataclass(frozen=True)
class Release:
    channel: str
    le: int  # a bucket's upper bound, seconds
    cumulative: int  # the channel's releases at or under it
    releases: int  # the channel's releases, all buckets
    release_seconds: float


@dataclass(frozen=True)
class Rejects:
    topic: str
    reason: str
    rejects: int


@dataclass(frozen=True)
class TargetsInForce:
    scope: str
    level: str
    status: str


# What one scrape reads: sql/metrics/NAME.sql and its row type (None: the one its header declares).
READS: dict[str, type | None] = {
    **{f.source: None for f in FAMILIES if f.source is not None},
    "progress": Progress,
    "national_progress": NationalProgress,
    "release": Release,
    "rejects": Rejects,
    "targets_in_force": TargetsInForce,
}


def _fresh() -> dict[str, Metric]:
    """Fresh, empty metric families for one scrape (or for describe())."""
    return {f.name: _KINDS[f.kind](f.name, f.help, labels=list(f.labels)) for f in FAMILIES}


def _adder(f: dict[str, Metric], name: str) -> Callable[[list[str], float], None]:
    """The add_metric of a gauge or counter family of this scrape."""
    metric = f[name]
    assert isinstance(metric, GaugeMetricFamily | CounterMetricFamily)
    return metric.add_metric


def _bound(le: float) -> str:
    """A bucket's upper bound as Prometheus writes it (prometheus_client's own formatting)."""
    return str(floatToGoString(le))  # type: ignore[no-untyped-call]  # prometheus_client leaves it unannotated


class KpiCollector(Collector):
    """Builds fresh metric families from the rows of sql/metrics/ on each scrape; computes nothing itself."""

    def __init__(self, snapshot: Callable[[], KpiSnapshot], clock_name: str) -> None:
        self._snapshot = snapshot
        self._clock_name = clock_name

    def describe(self) -> Iterable[Metric]:
        """Metadata only, so registering the collector does not query the database."""
        return list(_fresh().values())

    def collect(self) -> Iterable[Metric]:
        snap = self._snapshot()
        f = _fresh()
        for family in FAMILIES:
            if family.source is not None and family.value is not None:
                add, columns, value = _adder(f, family.name), list(family.labels.values()), family.value
                for row in snap[family.source]:
                    add([getattr(row, c) for c in columns], getattr(row, value))
        self._add_release(f["customs_declaration_release_seconds"], snap["release"])
        rejects = dict.fromkeys(((topic, reason) for topic in TOPICS for reason in RejectReason), 0)  # every reason from 0
        rejects.update({(r.topic, r.reason): r.rejects for r in snap["rejects"]})
        add_reject = _adder(f, "customs_kpi_rejects")
        for (topic, reason), n in rejects.items():
            add_reject([topic, reason], n)
        if snap.as_of is not None:
            self._add_pace(f, snap.as_of, snap)
        return list(f.values())

    @staticmethod
    def _add_release(metric: Metric, release: list[Release]) -> None:
        assert isinstance(metric, HistogramMetricFamily)
        for channel, rows in groupby(release, key=lambda r: r.channel):
            bounds = list(rows)
            buckets = [(_bound(r.le), r.cumulative) for r in bounds] + [("+Inf", bounds[0].releases)]
            metric.add_metric([channel], buckets, bounds[0].release_seconds)

    def _add_pace(self, f: dict[str, Metric], as_of: datetime, snap: KpiSnapshot) -> None:
        add = {family.name: _adder(f, family.name) for family in FAMILIES if family.kind != HISTOGRAM}
        add["customs_kpi_as_of_timestamp_seconds"]([self._clock_name], as_of.timestamp())
        for t in snap["targets_in_force"]:
            add["customs_kpi_target_info"]([t.scope, t.level, t.status], 1)
        seen: set[str] = set()
        progress: list[Progress] = snap["progress"]
        for p in progress:
            d = p.department_code
            if p.level is None or d not in seen:  # one ytd and projection per department, whatever its levels
                add["customs_revenue_ytd_vnd"]([d], p.ytd_vnd)
                if p.projected_year_end_vnd is not None:
                    add["customs_revenue_projected_year_end_vnd"]([d], p.projected_year_end_vnd)
                seen.add(d)
            if p.level is not None and p.target_vnd is not None and p.plan_to_date_vnd is not None:  # a level has both
                add["customs_revenue_target_vnd"]([d, p.level], p.target_vnd)
                add["customs_revenue_plan_to_date_vnd"]([d, p.level], p.plan_to_date_vnd)
                if p.pace_ratio is not None:
                    add["customs_revenue_pace_ratio"]([d, p.level], p.pace_ratio)
        national: list[NationalProgress] = snap["national_progress"]
        for i, n in enumerate(national):
            if i == 0 and n.projected_year_end_vnd is not None:
                add["customs_revenue_national_projected_year_end_vnd"]([], n.projected_year_end_vnd)
            if n.level is not None and n.target_vnd is not None and n.plan_to_date_vnd is not None:
                add["customs_revenue_national_target_vnd"]([n.level], n.target_vnd)
                add["customs_revenue_national_plan_to_date_vnd"]([n.level], n.plan_to_date_vnd)
                if n.pace_ratio is not None:
                    add["customs_revenue_national_pace_ratio"]([n.level], n.pace_ratio)
