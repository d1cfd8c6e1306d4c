"""Read-side queries for the metrics endpoint: the SELECTs of sql/metrics/, in one transaction per scrape."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from streams.store import EventStore, statement

Rows = list[tuple[Any, ...]]  # a statement's rows as DuckDB returns them: each column's Python type


@dataclass(frozen=True)
class KpiSnapshot:
    """Everything the KPI collector exposes, read in one transaction: each sql/metrics/NAME.sql's rows."""

    as_of: datetime | None
    rows: dict[str, Rows]

    def __getitem__(self, name: str) -> Rows:
        return self.rows.get(name, [])


# Read whatever the clock; the rest need as_of.
ALWAYS = ("revenue_totals", "revenue_by_tax_type", "declarations", "seizures", "release", "streams", "records", "rejects")
AT_AS_OF = ("progress", "national_progress", "period_cases", "targets_in_force", "same_period_last_year")


def _rows(con: duckdb.DuckDBPyConnection, name: str, params: dict[str, object] | None = None) -> Rows:
    return con.execute(statement(f"metrics/{name}"), params or {}).fetchall()  # fetch to the end: DuckDB keeps an unfinished result open


def latest_event_time(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The latest occurred_at accepted on any stream: the event clock."""
    row = _rows(con, "event_clock")
    return row[0][0] if row else None


def read_snapshot(store: EventStore, as_of: Callable[[duckdb.DuckDBPyConnection], datetime | None]) -> KpiSnapshot:
    """All KPI inputs at one instant; as_of picks the time from the wall clock or the data."""
    with store.reader() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            when = as_of(con)
            rows = {name: _rows(con, name) for name in ALWAYS}
            if when is not None:
                rows |= {name: _rows(con, name, {"as_of": when}) for name in AT_AS_OF}
        finally:
            con.execute("COMMIT")
    return KpiSnapshot(when, rows)
