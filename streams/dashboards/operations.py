"""Operations dashboards: declarations, enforcement (seizures) and pipeline health."""

from __future__ import annotations

from typing import Any

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
    one,
    single,
)


def declarations() -> Any:
    sel = 'department=~"$department"'
    return new_dashboard(
        "customs-declarations",
        "Customs declarations",
        "Registered declarations by flow and inspection channel, the green-channel share and release times.",
        ["declarations"],
        variable=department_variable(multi=True),
        panels=(
            graph(
                "Declarations per day by flow and channel",
                "Declarations registered over the last 24 hours at each point, by flow (import, export) and channel.",
                COUNT,
                Query(f"sum by (flow, channel) ({one(f'increase(customs_declarations_total{{{sel}}}[1d])')})", "{{flow}} {{channel}}"),
                w=16,
            ),
            single(
                "Green-channel share",
                "Declarations registered in the green channel (no document check, no inspection) as a share of all, over the time range.",
                RATIO,
                Query(
                    "sum("
                    + one(f'increase(customs_declarations_total{{{sel}, channel="green"}}[$__range])')
                    + ") / sum("
                    + one(f"increase(customs_declarations_total{{{sel}}}[$__range])")
                    + ")",
                    "green share",
                ),
                w=8,
                h=8,
            ),
            bars(
                "Declarations by flow and channel",
                "Declarations registered over the dashboard's time range.",
                COUNT,
                Query(
                    f"sum by (flow, channel) ({one(f'increase(customs_declarations_total{{{sel}}}[$__range])')})", "{{flow}} {{channel}}"
                ),
                w=8,
            ),
            bars(
                "Departments by declarations",
                "Declarations registered over the dashboard's time range, by department.",
                COUNT,
                Query(
                    f"sort_desc(sum by (department) ({one(f'increase(customs_declarations_total{{{sel}}}[$__range])')}))", "{{department}}"
                ),
                w=8,
            ),
            graph(
                "Release time by channel (all departments)",
                "Median and 90th percentile of release time (cleared minus registered) of declarations cleared in the last "
                "24 hours, by channel; from the customs_declaration_release_seconds histogram, which is national.",
                SECONDS,
                Query(
                    f"histogram_quantile(0.5, sum by (le, channel) ({one('rate(customs_declaration_release_seconds_bucket[1d])')}))",
                    "median {{channel}}",
                ),
                Query(
                    f"histogram_quantile(0.9, sum by (le, channel) ({one('rate(customs_declaration_release_seconds_bucket[1d])')}))",
                    "p90 {{channel}}",
                ),
                w=24,
            ),
        ),
    )


def enforcement() -> Any:
    sel = 'department=~"$department"'
    return new_dashboard(
        "customs-enforcement",
        "Customs enforcement: seizures",
        "Seizure cases by category and reporting period (16th of a month to the 15th of the next), value of goods and prosecutions.",
        ["seizures"],
        variable=department_variable(multi=True),
        panels=(
            bars(
                "Cases in the current reporting period, by category",
                "Seizure cases since the 16th that opened the current reporting period (Vietnam time).",
                COUNT,
                Query(f"sort_desc(sum by (category) ({one(f'customs_seizures_reporting_period_cases{{{sel}}}')}))", "{{category}}"),
                w=8,
            ),
            bars(
                "Cases in the current reporting period, by department",
                "Seizure cases since the 16th that opened the current reporting period, by department.",
                COUNT,
                Query(f"sort_desc(sum by (department) ({one(f'customs_seizures_reporting_period_cases{{{sel}}}')}))", "{{department}}"),
                w=8,
            ),
            single(
                "Cases prosecuted",
                "Seizure cases over the time range in which customs started criminal proceedings.",
                COUNT,
                Query(f"sum({one(f'increase(customs_seizures_prosecuted_total{{{sel}}}[$__range])')})", "prosecuted"),
                w=8,
                h=10,
            ),
            graph(
                "Seizure cases per day by category",
                "Cases over the last 24 hours at each point, by category.",
                COUNT,
                Query(f"sum by (category) ({one(f'increase(customs_seizures_total{{{sel}}}[1d])')})", "{{category}}"),
            ),
            bars(
                "Value of seized goods by category",
                "Goods value of the cases over the dashboard's time range.",
                VND,
                Query(
                    f"sort_desc(sum by (category) ({one(f'increase(customs_seizure_goods_value_vnd_total{{{sel}}}[$__range])')}))",
                    "{{category}}",
                ),
            ),
            graph(
                "Prosecution share",
                "Cases prosecuted / all cases over the last 7 days at each point.",
                RATIO,
                Query(
                    f"sum({one(f'increase(customs_seizures_prosecuted_total{{{sel}}}[7d])')}) "
                    f"/ sum({one(f'increase(customs_seizures_total{{{sel}}}[7d])')})",
                    "prosecuted share",
                ),
                w=24,
            ),
        ),
    )


def pipeline() -> Any:
    return new_dashboard(
        "customs-pipeline",
        "Customs KPI pipeline health",
        "The consumer: ingest rate by outcome, lag, rejects by reason, batch timings, freshness and errors.",
        ["pipeline"],
        panels=(
            graph(
                "Records consumed per second by outcome",
                "Records read from Kafka per second: accepted, duplicate (already stored) or rejected (kept in rejects and customs.dlq).",
                PER_SECOND,
                Query("sum by (instance, outcome) (rate(customs_kpi_records_total[$__rate_interval]))", "{{instance}} {{outcome}}"),
            ),
            graph(
                "Consumer lag by topic",
                "High watermark minus the next offset to read, summed over partitions. The lag alert fires over 100,000 for 10 minutes.",
                COUNT,
                Query("sum by (instance, topic) (customs_kpi_consumer_lag_records)", "{{instance}} {{topic}}"),
            ),
            bars(
                "Rejects by reason",
                "Rejected messages over the dashboard's time range, by reason code (see the rejects table and customs-kpi rejects).",
                COUNT,
                Query(f"sort_desc(sum by (reason) ({one('increase(customs_kpi_rejects_total[$__range])')}))", "{{reason}}"),
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
                Query("time() - customs_kpi_last_commit_timestamp_seconds", "{{instance}}"),
                w=4,
            ),
            single(
                "Analysts' lake: time since current",
                "Wall clock minus the last time the lake held everything the store held (a publication, or one that found "
                "nothing new). CustomsKpiLakeStale fires over 15 minutes; CustomsKpiLakePublishFailing when publications fail.",
                SECONDS,
                Query("time() - max(customs_kpi_lake_current_timestamp_seconds > 0)", "since current"),
                w=4,
            ),
            single(
                "Who publishes the lake",
                "1 for the consumer that publishes the analysts' lake and copies rejects to customs.dlq: a single consumer "
                "with a lake, or the elected replica of a pair (one at a time). CustomsKpiNoLakeLeader fires when replicas "
                "serve and none leads.",
                "none",
                Query("max by (instance, replica) (customs_kpi_lake_leader)", "{{instance}} {{replica}}"),
                w=4,
            ),
            single(
                "Reconciliation: differences found",
                "What the consumer's last run of each check found (customs-kpi verify, run continuously): published after every "
                "publication; offsets, aggregates and lake on the upkeep schedule. Anything above 0 fires CustomsKpiVerifyDifference.",
                COUNT,
                Query("max by (check) (customs_kpi_verify_differences)", "{{check}}"),
                w=4,
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
                "Errors over the dashboard's time range: write (storing a batch in DuckDB), dlq (copying rejects to customs.dlq), "
                "lake (publishing to the analysts' lake, or its upkeep), poll, commit, decode.",
                COUNT,
                Query("sum by (stage) (increase(customs_kpi_errors_total[$__range]))", "{{stage}}"),
                w=4,
            ),
        ),
    )
