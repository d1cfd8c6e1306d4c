"""Read-side queries for the metrics endpoint: the SELECTs of sql/metrics/ a collector names, in one
transaction per scrape, each read by column name (streams.store.rows) into its row type."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import duckdb

from streams.store import EventStore, one, rows, sql_file


@dataclass(frozen=True)
class KpiSnapshot:
    """Everything the KPI collector exposes, read in one transaction: each sql/metrics/NAME.sql's rows
    under NAME. The files that take $as_of are read only when there is an as_of."""

    as_of: datetime | None
    rows: dict[str, list[Any]]

    def __getitem__(self, name: str) -> list[Any]:
        return self.rows.get(name, [])


@dataclass(frozen=True)
class EventClock:
    as_of: datetime | None


def latest_event_time(con: duckdb.DuckDBPyConnection) -> datetime | None:
    """The latest occurred_at accepted on any stream: the event clock."""
    return one(con, "metrics/event_clock", EventClock).as_of  # an aggregate: one row, NULL before any event


def read_snapshot(
    store: EventStore, as_of: Callable[[duckdb.DuckDBPyConnection], datetime | None], reads: Mapping[str, type | None]
) -> KpiSnapshot:
    """The rows of each sql/metrics/NAME.sql of `reads` (NAME: its row type, None for the one its
    header declares) at one instant; as_of picks the time from the wall clock or the data."""
    with store.reader() as con:
        con.execute("BEGIN TRANSACTION")
        try:
            when = as_of(con)
            read: dict[str, list[Any]] = {}
            for name, row in reads.items():
                takes_as_of = "as_of" in sql_file(f"metrics/{name}").params
                if takes_as_of and when is None:
                    continue
                read[name] = rows(con, f"metrics/{name}", row, {"as_of": when} if takes_as_of else None)
        finally:
            con.execute("COMMIT")
    return KpiSnapshot(when, read)
