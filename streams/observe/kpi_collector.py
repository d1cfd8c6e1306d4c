"""The contract's KPI metrics, read from DuckDB's aggregates on every scrape (so restarts restore them)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import groupby
from operator import itemgetter

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

from streams.contract.events import TOPICS
from streams.decode.reasons import RejectReason
from streams.read import KpiSnapshot


class _Families:
    """Fresh, empty metric families for one scrape (or for describe())."""

    def __init__(self) -> None:
        g, c = GaugeMetricFamily, CounterMetricFamily
        dept, dept_level = ["department"], ["department", "level"]
        self.collected = c("customs_revenue_collected_vnd", "Gross revenue collections, all time, VND.", labels=dept)
        self.refunded = c("customs_revenue_refunded_vnd", "Refunds, all time, VND.", labels=dept)
        self.ytd = g("customs_revenue_ytd_vnd", "Net revenue from the start of the local year of as_of up to as_of, VND.", labels=dept)
        self.target = g("customs_revenue_target_vnd", "Annual target of the year of as_of, VND.", labels=dept_level)
        self.plan = g("customs_revenue_plan_to_date_vnd", "Target x plan_share(as_of), VND.", labels=dept_level)
        self.pace = g("customs_revenue_pace_ratio", "ytd / plan_to_date.", labels=dept_level)
        self.projected = g("customs_revenue_projected_year_end_vnd", "ytd / plan_share(as_of), VND.", labels=dept)
        self.n_target = g("customs_revenue_national_target_vnd", "National annual target of the year of as_of, VND.", labels=["level"])
        self.n_plan = g("customs_revenue_national_plan_to_date_vnd", "National target x plan_share(as_of), VND.", labels=["level"])
        self.n_pace = g("customs_revenue_national_pace_ratio", "National ytd / plan_to_date.", labels=["level"])
        self.n_projected = g("customs_revenue_national_projected_year_end_vnd", "National ytd / plan_share(as_of), VND.")
        self.last_year = g(
            "customs_revenue_same_period_last_year_vnd",
            "Net revenue from 1 January of the year before up to as_of minus one year (local time), VND: "
            "ytd / this is the year-on-year ratio.",
            labels=dept,
        )
        self.declarations = c("customs_declarations", "Registered declarations.", labels=["department", "flow", "channel"])
        self.seizures = c("customs_seizures", "Seizure cases.", labels=["department", "category"])
        self.seizure_value = c("customs_seizure_goods_value_vnd", "Value of seized goods, VND.", labels=["department", "category"])
        # Beyond the contract's fixed names (additions, same conventions):
        self.tax_type = c(
            "customs_revenue_by_tax_type_vnd",
            "Collections and refunds by tax type, all time, VND.",
            labels=["department", "tax_type", "kind"],
        )
        self.release = HistogramMetricFamily(
            "customs_declaration_release_seconds", "Release time (cleared minus registered) of cleared declarations.", labels=["channel"]
        )
        self.prosecuted = c("customs_seizures_prosecuted", "Seizure cases with criminal proceedings.", labels=["department", "category"])
        self.period_cases = g(
            "customs_seizures_reporting_period_cases",
            "Seizure cases in the reporting period (16th to 15th, local time) that contains as_of.",
            labels=["department", "category"],
        )
        self.last_event = g(
            "customs_last_event_timestamp_seconds", "Latest occurred_at accepted, Unix seconds.", labels=["department", "stream"]
        )
        self.events = c("customs_kpi_events", "Accepted events by department and stream, from DuckDB.", labels=["department", "stream"])
        self.as_of = g(
            "customs_kpi_as_of_timestamp_seconds", "The as_of time the pace figures are computed for, Unix seconds.", labels=["clock"]
        )
        self.records = c(
            "customs_kpi_records", "Consumed records by outcome (accepted, duplicate, rejected), from DuckDB.", labels=["topic", "outcome"]
        )
        self.rejects = c("customs_kpi_rejects", "Rejected records by reason, from DuckDB.", labels=["topic", "reason"])
        self.target_info = g(
            "customs_kpi_target_info",
            "Targets in force for the year of as_of; status says official or illustrative.",
            labels=["scope", "level", "status"],
        )

    def all(self) -> list[Metric]:
        return list(vars(self).values())


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
        return _Families().all()

    def collect(self) -> Iterable[Metric]:
        snap = self._snapshot()
        f = _Families()
        for d, collected, refunded in snap["revenue_totals"]:
            f.collected.add_metric([d], collected)
            f.refunded.add_metric([d], refunded)
        for d, flow, channel, n in snap["declarations"]:
            f.declarations.add_metric([d, flow, channel], n)
        for d, category, n, value, prosecuted in snap["seizures"]:
            f.seizures.add_metric([d, category], n)
            f.seizure_value.add_metric([d, category], value)
            f.prosecuted.add_metric([d, category], prosecuted)
        for d, tax_type, kind, amount in snap["revenue_by_tax_type"]:
            f.tax_type.add_metric([d, tax_type, kind], amount)
        for channel, rows in groupby(snap["release"], key=itemgetter(0)):
            bounds = list(rows)
            _, _, _, count, seconds = bounds[0]
            buckets = [(_bound(le), cumulative) for _, le, cumulative, _, _ in bounds] + [("+Inf", count)]
            f.release.add_metric([channel], buckets, seconds)
        for d, category, n in snap["period_cases"]:
            f.period_cases.add_metric([d, category], n)
        for d, stream, last, n in snap["streams"]:
            f.last_event.add_metric([d, stream], last)
            f.events.add_metric([d, stream], n)
        for topic, outcome, n in snap["records"]:
            f.records.add_metric([topic, outcome], n)
        rejects = dict.fromkeys(((topic, reason) for topic in TOPICS for reason in RejectReason), 0)  # every reason from 0
        rejects.update({(topic, reason): n for topic, reason, n in snap["rejects"]})
        for (topic, reason), n in rejects.items():
            f.rejects.add_metric([topic, reason], n)
        if snap.as_of is not None:
            self._add_pace(f, snap)
        return f.all()

    def _add_pace(self, f: _Families, snap: KpiSnapshot) -> None:
        assert snap.as_of is not None
        f.as_of.add_metric([self._clock_name], snap.as_of.timestamp())
        for scope, level, status in snap["targets_in_force"]:
            f.target_info.add_metric([scope, level, status], 1)
        projected: dict[str, float] = {}
        for d, level, ytd, target, plan, pace, projection in snap["progress"]:
            if level is None or d not in projected:  # one ytd and projection per department, whatever its levels
                f.ytd.add_metric([d], ytd)
                if projection is not None:
                    f.projected.add_metric([d], projection)
                projected[d] = ytd
            if level is not None:
                f.target.add_metric([d, level], target)
                f.plan.add_metric([d, level], plan)
                if pace is not None:
                    f.pace.add_metric([d, level], pace)
        for d, net in snap["same_period_last_year"]:
            f.last_year.add_metric([d], net)
        for i, (level, _ytd, target, plan, pace, projection) in enumerate(snap["national_progress"]):
            if i == 0 and projection is not None:
                f.n_projected.add_metric([], projection)
            if level is not None:
                f.n_target.add_metric([level], target)
                f.n_plan.add_metric([level], plan)
                if pace is not None:
                    f.n_pace.add_metric([level], pace)
