"""Read-side queries for the metrics endpoint: one consistent snapshot per scrape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import duckdb

from streams.kpi.clock import year_start
from streams.store.database import EventStore


@dataclass(frozen=True)
class KpiSnapshot:
    """Everything the KPI collector exposes, read in one transaction."""

    as_of: datetime | None
    collected: dict[str, int]
    refunded: dict[str, int]
    ytd: dict[str, int]
    declarations: list[tuple[str, str, str, int]]  # department, flow, channel, registered count
    seizures: list[tuple[str, str, int, int]]  # department, category, cases, goods value
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
                "SELECT department_code, category, count(*), sum(goods_value_vnd) FROM seizures GROUP BY ALL ORDER BY ALL"
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
        seizures=[(d, c, int(n), int(v or 0)) for d, c, n, v in seizures],
        last_event=[(d, s, float(t)) for d, s, t, _ in last_event],
        events=[(d, s, int(n)) for d, s, _, n in last_event],
        records=[(t, o, int(n)) for t, o, n in records],
        rejects=[(t, r, int(n)) for t, r, n in rejects],
    )
