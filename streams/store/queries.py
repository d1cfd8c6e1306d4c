"""Read-side queries for the metrics endpoint: one consistent snapshot per scrape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import duckdb

from streams.kpi.clock import reporting_period, year_start
from streams.store.database import EventStore

# Release-time histogram buckets, seconds: 15 min to 8 days (WCO Time Release Study scale).
RELEASE_BUCKETS_S = (900, 1800, 3600, 2 * 3600, 4 * 3600, 8 * 3600, 86400, 2 * 86400, 4 * 86400, 8 * 86400)


@dataclass(frozen=True)
class KpiSnapshot:
    """Everything the KPI collector exposes, read in one transaction."""

    as_of: datetime | None
    collected: dict[str, int]
    refunded: dict[str, int]
    ytd: dict[str, int]
    declarations: list[tuple[str, str, str, int]]  # department, flow, channel, registered count
    seizures: list[tuple[str, str, int, int, int]]  # department, category, cases, goods value, prosecuted cases
    tax_types: list[tuple[str, str, str, int]]  # department, tax type, kind, amount
    release: list[tuple[str, list[int], int, float]]  # channel, cumulative counts per RELEASE_BUCKETS_S, count, sum of seconds
    period_cases: list[tuple[str, str, int]]  # department, category, cases in the reporting period of as_of
    last_event: list[tuple[str, str, float]]  # department, stream, epoch seconds
    events: list[tuple[str, str, int]]  # department, stream, accepted events
    records: list[tuple[str, str, int]]  # topic, outcome, count
    rejects: list[tuple[str, str, int]]  # topic, reason, count


def latest_event_time(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The latest occurred_at accepted on any stream: the event clock."""
    row = con.execute(
        "SELECT max(t) FROM (SELECT max(occurred_at) t FROM declarations UNION ALL "
        "SELECT max(occurred_at) FROM revenue UNION ALL SELECT max(occurred_at) FROM seizures)"
    ).fetchall()  # fetch to the end: DuckDB keeps an unfinished result open otherwise
    return row[0][0] if row else None


def net_revenue_between(con: duckdb.DuckDBPyConnection, start: datetime, end: datetime) -> dict[str, int]:
    """Net revenue (collections minus refunds) per department with start <= occurred_at <= end."""
    rows = con.execute(
        "SELECT department_code, sum(CASE kind WHEN 'refund' THEN -amount_vnd ELSE amount_vnd END) "
        "FROM revenue WHERE occurred_at >= $start AND occurred_at <= $end GROUP BY 1",
        {"start": start, "end": end},
    ).fetchall()
    return {d: int(v) for d, v in rows}


def read_snapshot(store: EventStore, as_of: Callable[[duckdb.DuckDBPyConnection], datetime | None]) -> KpiSnapshot:
    """All KPI inputs at one instant; as_of picks the time from the wall clock or the data."""
    with store.reader() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            when = as_of(con)
            totals = con.execute(
                "SELECT department_code, sum(amount_vnd) FILTER (kind = 'collection'), sum(amount_vnd) FILTER (kind = 'refund') "
                "FROM revenue GROUP BY 1"
            ).fetchall()
            ytd = net_revenue_between(con, year_start(when), when) if when else {}
            declarations = con.execute(
                "SELECT department_code, flow, channel, count(*) FROM declarations WHERE status = 'registered' GROUP BY ALL ORDER BY ALL"
            ).fetchall()
            seizures = con.execute(
                "SELECT department_code, category, count(*), sum(goods_value_vnd), count(*) FILTER (prosecuted) "
                "FROM seizures GROUP BY ALL ORDER BY ALL"
            ).fetchall()
            tax_types = con.execute(
                "SELECT department_code, tax_type, kind, sum(amount_vnd) FROM revenue GROUP BY ALL ORDER BY ALL"
            ).fetchall()
            buckets = ", ".join(f"count(*) FILTER (release_s <= {b})" for b in RELEASE_BUCKETS_S)
            release = con.execute(
                f"SELECT channel, count(*), coalesce(sum(release_s), 0), {buckets} "
                "FROM (SELECT channel, release_hours * 3600 AS release_s FROM release_times) GROUP BY 1 ORDER BY 1"
            ).fetchall()
            period_cases = []
            if when is not None:
                start, end = reporting_period(when)
                period_cases = con.execute(
                    "SELECT department_code, category, count(*) FROM seizures "
                    "WHERE occurred_at >= $start AND occurred_at < $end AND occurred_at <= $when GROUP BY ALL ORDER BY ALL",
                    {"start": start, "end": end, "when": when},
                ).fetchall()
            last_event = con.execute(
                "SELECT department_code, 'declarations', epoch(max(occurred_at)), count(*) FROM declarations GROUP BY 1 UNION ALL "
                "SELECT department_code, 'revenue', epoch(max(occurred_at)), count(*) FROM revenue GROUP BY 1 UNION ALL "
                "SELECT department_code, 'seizures', epoch(max(occurred_at)), count(*) FROM seizures GROUP BY 1"
            ).fetchall()
            records = con.execute(
                "SELECT source_topic, 'accepted', count(*) FROM declarations GROUP BY 1 UNION ALL "
                "SELECT source_topic, 'accepted', count(*) FROM revenue GROUP BY 1 UNION ALL "
                "SELECT source_topic, 'accepted', count(*) FROM seizures GROUP BY 1 UNION ALL "
                "SELECT source_topic, 'duplicate', count(*) FROM duplicates GROUP BY 1 UNION ALL "
                "SELECT source_topic, 'rejected', count(*) FROM rejects GROUP BY 1"
            ).fetchall()
            rejects = con.execute("SELECT source_topic, reason, count(*) FROM rejects GROUP BY ALL ORDER BY ALL").fetchall()
        finally:
            con.execute("COMMIT")
    return KpiSnapshot(
        as_of=when,
        collected={d: int(c or 0) for d, c, _ in totals},
        refunded={d: int(r or 0) for d, _, r in totals},
        ytd=ytd,
        declarations=[(d, f, c, int(n)) for d, f, c, n in declarations],
        seizures=[(d, c, int(n), int(v or 0), int(p)) for d, c, n, v, p in seizures],
        tax_types=[(d, t, k, int(v)) for d, t, k, v in tax_types],
        release=[(c, [int(n) for n in rest], int(n), float(total)) for c, n, total, *rest in release],
        period_cases=[(d, c, int(n)) for d, c, n in period_cases],
        last_event=[(d, s, float(t)) for d, s, t, _ in last_event],
        events=[(d, s, int(n)) for d, s, _, n in last_event],
        records=[(t, o, int(n)) for t, o, n in records],
        rejects=[(t, r, int(n)) for t, r, n in rejects],
    )
