"""Revenue dashboards: the national overview and the department drill-down."""

from __future__ import annotations

from typing import Any

from streams.dashboards.panels import (
    COUNT,
    RATIO,
    SECONDS,
    VND,
    Query,
    bars,
    department_variable,
    graph,
    new_dashboard,
    one,
    rows,
    single,
)

FIRING = 'alertstate="firing", alertname!="CustomsKpiWatchdog"'


def national() -> Any:
    return new_dashboard(
        "customs-national",
        "Customs revenue: national overview",
        "Progress of net revenue toward the national targets, pace against the seasonal plan, projections, the "
        "department league table and firing alerts. Targets marked illustrative in 'Targets in force' are not official.",
        ["revenue"],
        panels=(
            bars(
                "Progress toward each national target",
                "Net revenue year to date (all departments) as a share of each annual national target level.",
                RATIO,
                Query(f"scalar(sum({one('customs_revenue_ytd_vnd')})) / {one('customs_revenue_national_target_vnd')}", "{{level}}"),
                w=8,
                h=6,
            ),
            single(
                "National pace against the seasonal plan",
                "Year-to-date net revenue / plan to date (target x plan share of the 2020 monthly curve). 100% is on pace.",
                RATIO,
                Query(one("customs_revenue_national_pace_ratio"), "{{level}}"),
                w=8,
                h=6,
            ),
            single(
                "Projected year-end net revenue",
                "Year to date / plan share: where the year ends if the seasonal pattern holds, next to each target level.",
                VND,
                Query(one("customs_revenue_national_projected_year_end_vnd"), "projection"),
                Query(one("customs_revenue_national_target_vnd"), "target ({{level}})"),
                w=8,
                h=6,
            ),
            single(
                "Departments on pace",
                "How many departments have collected at least their plan to date, of those with a target at the level "
                "(recording rules customs_national:departments_on_pace:count and departments_with_target:count).",
                COUNT,
                Query("customs_national:departments_on_pace:count", "on pace ({{level}})"),
                Query("customs_national:departments_with_target:count", "with a target ({{level}})"),
                w=8,
                h=6,
            ),
            single(
                "Year on year",
                "Net revenue year to date / the same period of the year before (1 January to the same day and hour). "
                "Empty until the data holds the year before.",
                RATIO,
                Query("customs_national:revenue_year_on_year:ratio", "this year / last year"),
                w=8,
                h=6,
            ),
            single(
                "Refunds, share of gross collections",
                "Refunds paid / gross collections over the last 30 days, nationally (money over money).",
                RATIO,
                Query("customs_national:revenue_refund_share:ratio30d", "refund share, 30 days"),
                w=8,
                h=6,
            ),
            graph(
                "Cumulative net revenue against the seasonal plan",
                "Net revenue year to date of all departments, and what the seasonal plan asks for by now at each level.",
                VND,
                Query("customs_national:revenue_ytd_vnd", "net revenue, year to date"),
                Query(one("customs_revenue_national_plan_to_date_vnd"), "plan to date ({{level}})"),
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
                Query("sort(" + one('customs_revenue_pace_ratio{level="estimate"}') + ")", "{{department}}"),
                h=18,
            ),
            bars(
                "Projected year end as a share of the target, by department",
                "Each department's projected year-end net revenue / its estimate target, lowest first.",
                RATIO,
                Query(
                    "sort("
                    + one("customs_revenue_projected_year_end_vnd")
                    + " / on(department) "
                    + one('customs_revenue_target_vnd{level="estimate"}')
                    + ")",
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
                Query(one("customs_kpi_target_info")),
                w=12,
            ),
        ),
    )


def department() -> Any:
    sel = 'department="$department"'
    return new_dashboard(
        "customs-department",
        "Customs revenue: department drill-down",
        "One department (choose it above): progress toward its targets, pace, projection, revenue by tax type, refunds and its alerts.",
        ["revenue"],
        variable=department_variable(),
        panels=(
            bars(
                "Progress toward each target level",
                "Net revenue year to date as a share of each annual target level of the department.",
                RATIO,
                Query(
                    one(f"customs_revenue_ytd_vnd{{{sel}}}")
                    + " / on(department) group_right "
                    + one(f"customs_revenue_target_vnd{{{sel}}}"),
                    "{{level}}",
                ),
                w=8,
                h=6,
            ),
            single(
                "Pace against the seasonal plan",
                "Year-to-date net revenue / plan to date, per target level. 100% is on pace.",
                RATIO,
                Query(one(f"customs_revenue_pace_ratio{{{sel}}}"), "{{level}}"),
                w=8,
                h=6,
            ),
            single(
                "Projected year-end net revenue",
                "Year to date / plan share, next to each target level.",
                VND,
                Query(one(f"customs_revenue_projected_year_end_vnd{{{sel}}}"), "projection"),
                Query(one(f"customs_revenue_target_vnd{{{sel}}}"), "target ({{level}})"),
                w=8,
                h=6,
            ),
            graph(
                "Cumulative net revenue against the seasonal plan",
                "Net revenue year to date and what the seasonal plan asks for by now at each target level.",
                VND,
                Query(one(f"customs_revenue_ytd_vnd{{{sel}}}"), "net revenue, year to date"),
                Query(one(f"customs_revenue_plan_to_date_vnd{{{sel}}}"), "plan to date ({{level}})"),
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
            *(
                bars(
                    f"{what} by tax type",
                    f"{explained} over the dashboard's time range, by tax type.",
                    VND,
                    Query(
                        "sort_desc(sum by (tax_type) ("
                        + one(f'increase(customs_revenue_by_tax_type_vnd_total{{{sel}, kind="{kind}"}}[$__range])')
                        + "))",
                        "{{tax_type}}",
                    ),
                    w=8,
                )
                for kind, what, explained in (("collection", "Collections", "Gross collections"), ("refund", "Refunds", "Refunds paid"))
            ),
            graph(
                "Collections and refunds per day",
                "Gross collections and refunds over the last 24 hours at each point; net revenue is the difference.",
                VND,
                Query(f"sum({one(f'increase(customs_revenue_collected_vnd_total{{{sel}}}[1d])')})", "collections"),
                Query(f"sum({one(f'increase(customs_revenue_refunded_vnd_total{{{sel}}}[1d])')})", "refunds"),
                w=8,
                h=10,
            ),
            single(
                "Time since the latest event, by stream",
                "Wall clock minus the newest occurred_at accepted from this department. Data silence alerts after 18 hours "
                "on the revenue and declaration streams.",
                SECONDS,
                Query(f"time() - {one(f'customs_last_event_timestamp_seconds{{{sel}}}')}", "{{stream}}"),
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
        ),
    )
