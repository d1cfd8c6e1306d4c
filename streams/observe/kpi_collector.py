"""The contract's KPI metrics, computed from DuckDB on every scrape (so restarts restore them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from streams.contract.events import TOPICS
from streams.decode.reasons import RejectReason
from streams.kpi.clock import local
from streams.kpi.pace import all_figures
from streams.kpi.targets import NATIONAL, TargetBook
from streams.store.queries import RELEASE_BUCKETS_S, KpiSnapshot


def _families() -> dict[str, Metric]:
    g, c = GaugeMetricFamily, CounterMetricFamily
    dept, dept_level = ["department"], ["department", "level"]
    return {
        "collected": c("customs_revenue_collected_vnd", "Gross revenue collections, all time, VND.", labels=dept),
        "refunded": c("customs_revenue_refunded_vnd", "Refunds, all time, VND.", labels=dept),
        "ytd": g("customs_revenue_ytd_vnd", "Net revenue from the start of the local year of as_of up to as_of, VND.", labels=dept),
        "target": g("customs_revenue_target_vnd", "Annual target of the year of as_of, VND.", labels=dept_level),
        "plan": g("customs_revenue_plan_to_date_vnd", "Target x plan_share(as_of), VND.", labels=dept_level),
        "pace": g("customs_revenue_pace_ratio", "ytd / plan_to_date.", labels=dept_level),
        "projected": g("customs_revenue_projected_year_end_vnd", "ytd / plan_share(as_of), VND.", labels=dept),
        "n_target": g("customs_revenue_national_target_vnd", "National annual target of the year of as_of, VND.", labels=["level"]),
        "n_plan": g("customs_revenue_national_plan_to_date_vnd", "National target x plan_share(as_of), VND.", labels=["level"]),
        "n_pace": g("customs_revenue_national_pace_ratio", "National ytd / plan_to_date.", labels=["level"]),
        "n_projected": g("customs_revenue_national_projected_year_end_vnd", "National ytd / plan_share(as_of), VND."),
        "declarations": c("customs_declarations", "Registered declarations.", labels=["department", "flow", "channel"]),
        "seizures": c("customs_seizures", "Seizure cases.", labels=["department", "category"]),
        "seizure_value": c("customs_seizure_goods_value_vnd", "Value of seized goods, VND.", labels=["department", "category"]),
        # Beyond the contract's fixed names (additions, same conventions):
        "tax_type": c(
            "customs_revenue_by_tax_type_vnd",
            "Collections and refunds by tax type, all time, VND.",
            labels=["department", "tax_type", "kind"],
        ),
        "release": HistogramMetricFamily(
            "customs_declaration_release_seconds", "Release time (cleared minus registered) of cleared declarations.", labels=["channel"]
        ),
        "prosecuted": c("customs_seizures_prosecuted", "Seizure cases with criminal proceedings.", labels=["department", "category"]),
        "period_cases": g(
            "customs_seizures_reporting_period_cases",
            "Seizure cases in the reporting period (16th to 15th, local time) that contains as_of.",
            labels=["department", "category"],
        ),
        "last_event": g(
            "customs_last_event_timestamp_seconds", "Latest occurred_at accepted, Unix seconds.", labels=["department", "stream"]
        ),
        "events": c("customs_kpi_events", "Accepted events by department and stream, from DuckDB.", labels=["department", "stream"]),
        "as_of": g(
            "customs_kpi_as_of_timestamp_seconds", "The as_of time the pace figures are computed for, Unix seconds.", labels=["clock"]
        ),
        "records": c(
            "customs_kpi_records", "Consumed records by outcome (accepted, duplicate, rejected), from DuckDB.", labels=["topic", "outcome"]
        ),
        "rejects": c("customs_kpi_rejects", "Rejected records by reason, from DuckDB.", labels=["topic", "reason"]),
        "target_info": g(
            "customs_kpi_target_info",
            "Targets in force for the year of as_of; status says official or illustrative.",
            labels=["scope", "level", "status"],
        ),
    }


class KpiCollector(Collector):
    """Builds fresh metric families from a DuckDB snapshot on each scrape."""

    def __init__(self, snapshot: Callable[[], KpiSnapshot], book: TargetBook, departments: list[str], clock_name: str) -> None:
        self._snapshot = snapshot
        self._book = book
        self._departments = departments
        self._clock_name = clock_name

    def describe(self) -> Iterable[Metric]:
        """Metadata only, so registering the collector does not query the database."""
        return list(_families().values())

    def collect(self) -> Iterable[Metric]:
        snap = self._snapshot()
        f = _families()
        for d in self._departments:
            f["collected"].add_metric([d], snap.collected.get(d, 0))
            f["refunded"].add_metric([d], snap.refunded.get(d, 0))
        for d, flow, channel, n in snap.declarations:
            f["declarations"].add_metric([d, flow, channel], n)
        for d, category, n, value, prosecuted in snap.seizures:
            f["seizures"].add_metric([d, category], n)
            f["seizure_value"].add_metric([d, category], value)
            f["prosecuted"].add_metric([d, category], prosecuted)
        for d, tax_type, kind, amount in snap.tax_types:
            f["tax_type"].add_metric([d, tax_type, kind], amount)
        for channel, cumulative, n, total in snap.release:
            buckets = [(floatToGoString(b), c) for b, c in zip(RELEASE_BUCKETS_S, cumulative, strict=True)] + [("+Inf", n)]
            f["release"].add_metric([channel], buckets, total)
        for d, category, n in snap.period_cases:
            f["period_cases"].add_metric([d, category], n)
        for d, stream, t in snap.last_event:
            f["last_event"].add_metric([d, stream], t)
        for d, stream, n in snap.events:
            f["events"].add_metric([d, stream], n)
        for topic, outcome, n in snap.records:
            f["records"].add_metric([topic, outcome], n)
        rejects = dict.fromkeys(((topic, reason) for topic in TOPICS for reason in RejectReason), 0)  # every reason from 0
        rejects.update({(topic, reason): n for topic, reason, n in snap.rejects})
        for (topic, reason), n in rejects.items():
            f["rejects"].add_metric([topic, reason], n)
        if snap.as_of is not None:
            self._add_pace(f, snap)
        return list(f.values())

    def _add_pace(self, f: dict[str, Metric], snap: KpiSnapshot) -> None:
        assert snap.as_of is not None
        f["as_of"].add_metric([self._clock_name], snap.as_of.timestamp())
        for target in self._book.for_year(local(snap.as_of).year):
            f["target_info"].add_metric([target.scope, target.level, target.status], 1)
        for fig in all_figures(self._book, snap.ytd, snap.as_of, self._departments):
            national = fig.scope == NATIONAL
            if national:
                if fig.projected_year_end_vnd is not None:
                    f["n_projected"].add_metric([], fig.projected_year_end_vnd)
            else:
                f["ytd"].add_metric([fig.scope], fig.ytd_vnd)
                if fig.projected_year_end_vnd is not None:
                    f["projected"].add_metric([fig.scope], fig.projected_year_end_vnd)
            for lv in fig.levels:
                labels = [lv.level] if national else [fig.scope, lv.level]
                f["n_target" if national else "target"].add_metric(labels, lv.target_vnd)
                f["n_plan" if national else "plan"].add_metric(labels, lv.plan_to_date_vnd)
                if lv.pace_ratio is not None:
                    f["n_pace" if national else "pace"].add_metric(labels, lv.pace_ratio)
