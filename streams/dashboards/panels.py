"""Panel helpers: every panel gets a title, a description, a unit and the provisioned datasource."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from grafana_foundation_sdk.builders import bargauge, common, dashboard, prometheus, stat, table, timeseries
from grafana_foundation_sdk.models.common import BarGaugeDisplayMode, VizOrientation
from grafana_foundation_sdk.models.dashboard import DashboardCursorSync, DataSourceRef, VariableRefresh, VariableSort
from grafana_foundation_sdk.models.prometheus import PromQueryFormat

# The Prometheus datasource as provisioned in dashboards/provisioning/datasources/prometheus.yml.
DATASOURCE_UID = "customs-prometheus"
DATASOURCE = DataSourceRef(type_val="prometheus", uid=DATASOURCE_UID)

# Grafana units: money is VND, shown with K/M/B/T scaling ("currency:" custom unit).
VND = "currency:₫"
RATIO = "percentunit"
COUNT = "short"
SECONDS = "s"
PER_SECOND = "cps"


def one(expr: str) -> str:
    """A business series once, whether one consumer or a replica pair exports it (two instances, a
    `replica` label each): merged as the rules merge them, with max (prometheus/rules/revenue.rules.yml)."""
    return f"max without(instance, replica) ({expr})"


class Query:
    """One PromQL target; instant for single-value panels, range for time series."""

    def __init__(self, expr: str, legend: str = "", *, instant: bool = False, table: bool = False) -> None:
        self.expr, self.legend, self.instant, self.table = expr, legend, instant, table

    def build(self, ref_id: str) -> prometheus.Dataquery:
        q = prometheus.Dataquery().expr(self.expr).ref_id(ref_id).datasource(DATASOURCE)
        if self.legend:
            q = q.legend_format(self.legend)
        q = q.instant() if self.instant else q.range()
        return q.format(PromQueryFormat.TABLE if self.table else PromQueryFormat.TIME_SERIES)


P = TypeVar("P", timeseries.Panel, stat.Panel, bargauge.Panel, table.Panel)


def _finish(panel: P, title: str, description: str, unit: str, queries: list[Query], w: int, h: int) -> P:
    panel = panel.title(title).description(description).unit(unit).datasource(DATASOURCE).span(w).height(h)
    for i, query in enumerate(queries):
        panel = panel.with_target(query.build(chr(ord("A") + i)))
    return panel


def graph(title: str, description: str, unit: str, *queries: Query, w: int = 12, h: int = 8) -> timeseries.Panel:
    return _finish(timeseries.Panel(), title, description, unit, list(queries), w, h)


def _last_value() -> common.ReduceDataOptions:
    """One value per series: the latest (instant queries return one point)."""
    return common.ReduceDataOptions().values(False).calcs(["lastNotNull"])


def single(title: str, description: str, unit: str, *queries: Query, w: int = 6, h: int = 5) -> stat.Panel:
    panel = stat.Panel().reduce_options(_last_value())
    return _finish(panel, title, description, unit, [Query(q.expr, q.legend, instant=True) for q in queries], w, h)


def bars(title: str, description: str, unit: str, *queries: Query, w: int = 12, h: int = 10) -> bargauge.Panel:
    panel = bargauge.Panel().orientation(VizOrientation.HORIZONTAL).display_mode(BarGaugeDisplayMode.GRADIENT).reduce_options(_last_value())
    return _finish(panel, title, description, unit, [Query(q.expr, q.legend, instant=True) for q in queries], w, h)


def rows(title: str, description: str, unit: str, *queries: Query, w: int = 24, h: int = 8) -> table.Panel:
    """A table of label sets (one row per series), e.g. firing alerts."""
    return _finish(table.Panel(), title, description, unit, [Query(q.expr, q.legend, instant=True, table=True) for q in queries], w, h)


def department_variable(*, multi: bool = False) -> dashboard.QueryVariable:
    variable = (
        dashboard.QueryVariable("department")
        .label("Department")
        .description("Department code (reference/departments.csv)")
        .datasource(DATASOURCE)
        .query("label_values(customs_revenue_collected_vnd_total, department)")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(VariableSort.ALPHABETICAL_ASC)
    )
    if multi:
        variable = variable.multi(True).include_all(True).all_value(".*")
    return variable


def new_dashboard(
    uid: str,
    title: str,
    description: str,
    tags: list[str],
    panels: Iterable[Any],
    variable: dashboard.QueryVariable | None = None,
) -> dashboard.Dashboard:
    """A dashboard with the project's common settings, its panels in order and an optional variable."""
    d = (
        dashboard.Dashboard(title)
        .uid(uid)
        .description(description)
        .tags(["customs-kpi", *tags])
        .timezone("Asia/Ho_Chi_Minh")
        .time("now-7d", "now")
        .refresh("1m")
        .tooltip(DashboardCursorSync.CROSSHAIR)
        .readonly()
    )
    if variable is not None:
        d = d.with_variable(variable)
    for panel in panels:
        d = d.with_panel(panel)
    return d
