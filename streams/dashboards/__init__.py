"""Grafana dashboards as code (grafana-foundation-sdk): `customs-kpi dashboards build` writes dashboards/*.json.

Five dashboards on the Prometheus datasource: national overview, department drill-down,
declarations, enforcement and pipeline health. Queries use the contract's metric names, the
recording rules of prometheus/rules and Grafana's $department, $__range and $__rate_interval.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from streams.dashboards.panels import (
    COUNT,
    PER_SECOND,
    RATIO,
    SECONDS,
    VND,
    Query,
    bars,
    department_variable,
    graph,
    new_dashboard,
    rows,
    single,
)

FIRING = 'alertstate="firing", alertname!="CustomsKpiWatchdog"'


def national() -> Any:
    d = new_dashboard(
        "customs-national",
        "Customs revenue: national overview",
        "Progress of net revenue toward the national targets, pace against the seasonal plan, projections, the "
        "department league table and firing alerts. Targets marked illustrative in 'Targets in force' are not official.",
        ["revenue"],
    )
    for panel in (
        bars(
            "Progress toward each national target",
            "Net revenue year to date (all departments) as a share of each annual national target level.",
            RATIO,
            Query("scalar(sum(customs_revenue_ytd_vnd)) / customs_revenue_national_target_vnd", "{{level}}"),
            w=8,
            h=6,
        ),
        single(
            "National pace against the seasonal plan",
            "Year-to-date net revenue / plan to date (target x plan share of the 2020 monthly curve). 100% is on pace.",
            RATIO,
            Query("customs_revenue_national_pace_ratio", "{{level}}"),
            w=8,
            h=6,
        ),
        single(
            "Projected year-end net revenue",
            "Year to date / plan share: where the year ends if the seasonal pattern holds, next to each target level.",
            VND,
            Query("customs_revenue_national_projected_year_end_vnd", "projection"),
            Query("customs_revenue_national_target_vnd", "target ({{level}})"),
            w=8,
            h=6,
        ),
        graph(
            "Cumulative net revenue against the seasonal plan",
            "Net revenue year to date of all departments, and what the seasonal plan asks for by now at each level.",
            VND,
            Query("sum(customs_revenue_ytd_vnd)", "net revenue, year to date"),
            Query("customs_revenue_national_plan_to_date_vnd", "plan to date ({{level}})"),
        ),
        graph(
            "National window pace",
            "Net revenue over the last 1, 3 and 7 days divided by the plan over the same window (money over money, "
            "from the recording rules). The pace alerts fire on these: critical under 50% over 3 days, warning under 80% over 7.",
            RATIO,
            Query("customs_national:revenue_pace:ratio1d", "1 day"),
            Query("customs_national:revenue_pace:ratio3d", "3 days"),
            Query("customs_national:revenue_pace:ratio7d", "7 days"),
        ),
        bars(
            "Department league table by pace",
            "Each department's year-to-date net revenue / plan to date for its estimate target, lowest first.",
            RATIO,
            Query('sort(customs_revenue_pace_ratio{level="estimate"})', "{{department}}"),
            h=18,
        ),
        bars(
            "Projected year end as a share of the target, by department",
            "Each department's projected year-end net revenue / its estimate target, lowest first.",
            RATIO,
            Query(
                'sort(customs_revenue_projected_year_end_vnd / on(department) customs_revenue_target_vnd{level="estimate"})',
                "{{department}}",
            ),
            h=18,
        ),
        rows(
            "Firing alerts",
            "Alerts firing in Prometheus now (the watchdog left out), by name, department and severity.",
            "none",
            Query(f"max by (alertname, department, severity) (ALERTS{{{FIRING}}})"),
            w=12,
        ),
        rows(
            "Targets in force",
            "The targets of the current year by scope and level; status says whether the figure is official (published) "
            "or illustrative (an allocation made for this tool).",
            "none",
            Query("customs_kpi_target_info"),
            w=12,
        ),
    ):
        d = d.with_panel(panel)
    return d


def department() -> Any:
    sel = 'department="$department"'
    d = new_dashboard(
        "customs-department",
        "Customs revenue: department drill-down",
        "One department (choose it above): progress toward its targets, pace, projection, revenue by tax type, refunds and its alerts.",
        ["revenue"],
    ).with_variable(department_variable())
    for panel in (
        bars(
            "Progress toward each target level",
            "Net revenue year to date as a share of each annual target level of the department.",
            RATIO,
            Query(f"customs_revenue_ytd_vnd{{{sel}}} / on(department) group_right customs_revenue_target_vnd{{{sel}}}", "{{level}}"),
            w=8,
            h=6,
        ),
        single(
            "Pace against the seasonal plan",
            "Year-to-date net revenue / plan to date, per target level. 100% is on pace.",
            RATIO,
            Query(f"customs_revenue_pace_ratio{{{sel}}}", "{{level}}"),
            w=8,
            h=6,
        ),
        single(
            "Projected year-end net revenue",
            "Year to date / plan share, next to each target level.",
            VND,
            Query(f"customs_revenue_projected_year_end_vnd{{{sel}}}", "projection"),
            Query(f"customs_revenue_target_vnd{{{sel}}}", "target ({{level}})"),
            w=8,
            h=6,
        ),
        graph(
            "Cumulative net revenue against the seasonal plan",
            "Net revenue year to date and what the seasonal plan asks for by now at each target level.",
            VND,
            Query(f"customs_revenue_ytd_vnd{{{sel}}}", "net revenue, year to date"),
            Query(f"customs_revenue_plan_to_date_vnd{{{sel}}}", "plan to date ({{level}})"),
        ),
        graph(
            "Window pace",
            "Net revenue over the last 1, 3 and 7 days / the plan over the same window (recording rules). "
            "Critical under 50% over 3 days (and 6 hours), warning under 80% over 7 days (and 1 day).",
            RATIO,
            Query(f"customs_department:revenue_pace:ratio1d{{{sel}}}", "1 day"),
            Query(f"customs_department:revenue_pace:ratio3d{{{sel}}}", "3 days"),
            Query(f"customs_department:revenue_pace:ratio7d{{{sel}}}", "7 days"),
        ),
        bars(
            "Collections by tax type",
            "Gross collections over the dashboard's time range, by tax type.",
            VND,
            Query(
                f'sort_desc(sum by (tax_type) (increase(customs_revenue_by_tax_type_vnd_total{{{sel}, kind="collection"}}[$__range])))',
                "{{tax_type}}",
            ),
            w=8,
        ),
        bars(
            "Refunds by tax type",
            "Refunds paid over the dashboard's time range, by tax type.",
            VND,
            Query(
                f'sort_desc(sum by (tax_type) (increase(customs_revenue_by_tax_type_vnd_total{{{sel}, kind="refund"}}[$__range])))',
                "{{tax_type}}",
            ),
            w=8,
        ),
        graph(
            "Collections and refunds per day",
            "Gross collections and refunds over the last 24 hours at each point; net revenue is the difference.",
            VND,
            Query(f"sum(increase(customs_revenue_collected_vnd_total{{{sel}}}[1d]))", "collections"),
            Query(f"sum(increase(customs_revenue_refunded_vnd_total{{{sel}}}[1d]))", "refunds"),
            w=8,
            h=10,
        ),
        single(
            "Time since the latest event, by stream",
            "Wall clock minus the newest occurred_at accepted from this department. Data silence alerts after 18 hours "
            "on the revenue and declaration streams.",
            SECONDS,
            Query(f"time() - customs_last_event_timestamp_seconds{{{sel}}}", "{{stream}}"),
            w=12,
        ),
        rows(
            "Firing alerts for this department",
            "Alerts firing in Prometheus now for this department, by name and severity.",
            "none",
            Query(f"max by (alertname, severity) (ALERTS{{{FIRING}, {sel}}})"),
            w=12,
            h=5,
        ),
    ):
        d = d.with_panel(panel)
    return d


def declarations() -> Any:
    sel = 'department=~"$department"'
    d = new_dashboard(
        "customs-declarations",
        "Customs declarations",
        "Registered declarations by flow and inspection channel, the green-channel share and release times.",
        ["declarations"],
    ).with_variable(department_variable(multi=True))
    for panel in (
        graph(
            "Declarations per day by flow and channel",
            "Declarations registered over the last 24 hours at each point, by flow (import, export) and channel.",
            COUNT,
            Query(f"sum by (flow, channel) (increase(customs_declarations_total{{{sel}}}[1d]))", "{{flow}} {{channel}}"),
            w=16,
        ),
        single(
            "Green-channel share",
            "Declarations registered in the green channel (no document check, no inspection) as a share of all, over the time range.",
            RATIO,
            Query(
                f'sum(increase(customs_declarations_total{{{sel}, channel="green"}}[$__range])) '
                f"/ sum(increase(customs_declarations_total{{{sel}}}[$__range]))",
                "green share",
            ),
            w=8,
            h=8,
        ),
        bars(
            "Declarations by flow and channel",
            "Declarations registered over the dashboard's time range.",
            COUNT,
            Query(f"sum by (flow, channel) (increase(customs_declarations_total{{{sel}}}[$__range]))", "{{flow}} {{channel}}"),
            w=8,
        ),
        bars(
            "Departments by declarations",
            "Declarations registered over the dashboard's time range, by department.",
            COUNT,
            Query(f"sort_desc(sum by (department) (increase(customs_declarations_total{{{sel}}}[$__range])))", "{{department}}"),
            w=8,
        ),
        graph(
            "Release time by channel (all departments)",
            "Median and 90th percentile of release time (cleared minus registered) of declarations cleared in the last "
            "24 hours, by channel; from the customs_declaration_release_seconds histogram, which is national.",
            SECONDS,
            Query(
                "histogram_quantile(0.5, sum by (le, channel) (rate(customs_declaration_release_seconds_bucket[1d])))",
                "median {{channel}}",
            ),
            Query(
                "histogram_quantile(0.9, sum by (le, channel) (rate(customs_declaration_release_seconds_bucket[1d])))",
                "p90 {{channel}}",
            ),
            w=24,
        ),
    ):
        d = d.with_panel(panel)
    return d


def enforcement() -> Any:
    sel = 'department=~"$department"'
    d = new_dashboard(
        "customs-enforcement",
        "Customs enforcement: seizures",
        "Seizure cases by category and reporting period (16th of a month to the 15th of the next), value of goods and prosecutions.",
        ["seizures"],
    ).with_variable(department_variable(multi=True))
    for panel in (
        bars(
            "Cases in the current reporting period, by category",
            "Seizure cases since the 16th that opened the current reporting period (Vietnam time).",
            COUNT,
            Query(f"sort_desc(sum by (category) (customs_seizures_reporting_period_cases{{{sel}}}))", "{{category}}"),
            w=8,
        ),
        bars(
            "Cases in the current reporting period, by department",
            "Seizure cases since the 16th that opened the current reporting period, by department.",
            COUNT,
            Query(f"sort_desc(sum by (department) (customs_seizures_reporting_period_cases{{{sel}}}))", "{{department}}"),
            w=8,
        ),
        single(
            "Cases prosecuted",
            "Seizure cases over the time range in which customs started criminal proceedings.",
            COUNT,
            Query(f"sum(increase(customs_seizures_prosecuted_total{{{sel}}}[$__range]))", "prosecuted"),
            w=8,
            h=10,
        ),
        graph(
            "Seizure cases per day by category",
            "Cases over the last 24 hours at each point, by category.",
            COUNT,
            Query(f"sum by (category) (increase(customs_seizures_total{{{sel}}}[1d]))", "{{category}}"),
        ),
        bars(
            "Value of seized goods by category",
            "Goods value of the cases over the dashboard's time range.",
            VND,
            Query(f"sort_desc(sum by (category) (increase(customs_seizure_goods_value_vnd_total{{{sel}}}[$__range])))", "{{category}}"),
        ),
        graph(
            "Prosecution share",
            "Cases prosecuted / all cases over the last 7 days at each point.",
            RATIO,
            Query(
                f"sum(increase(customs_seizures_prosecuted_total{{{sel}}}[7d])) / sum(increase(customs_seizures_total{{{sel}}}[7d]))",
                "prosecuted share",
            ),
            w=24,
        ),
    ):
        d = d.with_panel(panel)
    return d


def pipeline() -> Any:
    d = new_dashboard(
        "customs-pipeline",
        "Customs KPI pipeline health",
        "The consumer: ingest rate by outcome, lag, rejects by reason, batch timings, freshness and errors.",
        ["pipeline"],
    )
    for panel in (
        graph(
            "Records consumed per second by outcome",
            "Records read from Kafka per second: accepted, duplicate (already stored) or rejected (kept in rejects and customs.dlq).",
            PER_SECOND,
            Query("sum by (outcome) (rate(customs_kpi_records_total[$__rate_interval]))", "{{outcome}}"),
        ),
        graph(
            "Consumer lag by topic",
            "High watermark minus the next offset to read, summed over partitions. The lag alert fires over 100,000 for 10 minutes.",
            COUNT,
            Query("sum by (topic) (customs_kpi_consumer_lag_records)", "{{topic}}"),
        ),
        bars(
            "Rejects by reason",
            "Rejected messages over the dashboard's time range, by reason code (see the rejects table and customs-kpi rejects).",
            COUNT,
            Query("sort_desc(sum by (reason) (increase(customs_kpi_rejects_total[$__range])))", "{{reason}}"),
            w=8,
        ),
        graph(
            "Batch duration, 99th percentile, by stage",
            "Time to decode a polled batch and to write it to DuckDB with its offsets.",
            SECONDS,
            Query(
                "histogram_quantile(0.99, sum by (le, stage) (rate(customs_kpi_batch_duration_seconds_bucket[$__rate_interval])))",
                "{{stage}}",
            ),
            w=8,
        ),
        graph(
            "Records per batch, median",
            "Median number of records in a polled batch; small batches under load mean polling overhead dominates.",
            COUNT,
            Query("histogram_quantile(0.5, sum by (le) (rate(customs_kpi_batch_records_bucket[$__rate_interval])))", "median"),
            w=8,
        ),
        graph(
            "Freshness: time since the latest event, by stream",
            "Wall clock minus the newest occurred_at accepted on each stream (all departments).",
            SECONDS,
            Query("time() - max by (stream) (customs_last_event_timestamp_seconds)", "{{stream}}"),
            w=8,
        ),
        single(
            "Time since the last committed batch",
            "Wall clock minus the time the consumer last stored a batch and its offsets.",
            SECONDS,
            Query("time() - customs_kpi_last_commit_timestamp_seconds", "since last commit"),
            w=8,
        ),
        single(
            "Exporter up",
            "1 when Prometheus scraped the consumer's /metrics on its last attempt.",
            "none",
            Query('up{job="customs-kpi"}', "{{instance}}"),
            w=4,
        ),
        single(
            "Errors by stage",
            "Errors over the dashboard's time range: write (storing a batch in DuckDB), dlq (copying rejects to customs.dlq).",
            COUNT,
            Query("sum by (stage) (increase(customs_kpi_errors_total[$__range]))", "{{stage}}"),
            w=4,
        ),
    ):
        d = d.with_panel(panel)
    return d


BUILDERS = {
    "national-overview.json": national,
    "department.json": department,
    "declarations.json": declarations,
    "enforcement.json": enforcement,
    "pipeline-health.json": pipeline,
}


def render() -> dict[str, str]:
    """File name -> dashboard JSON text, panel ids numbered from 1 in order."""
    out = {}
    for name, builder in BUILDERS.items():
        doc = json.loads(json.dumps(builder().build(), cls=JSONEncoder))
        for i, panel in enumerate(doc.get("panels", []), start=1):
            panel["id"] = i
        out[name] = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return out


def write(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render().items():
        (out_dir / name).write_text(text, encoding="utf-8")
        written.append(out_dir / name)
    return written


def stale(out_dir: Path) -> list[str]:
    """Files in out_dir that differ from what the code renders (missing ones included)."""
    return [name for name, text in render().items() if not (out_dir / name).is_file() or (out_dir / name).read_text("utf-8") != text]
