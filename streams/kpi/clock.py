"""Vietnam local time (UTC+7, no daylight saving). Calendar boundaries of the KPIs (local day, year,
reporting period) are computed in SQL (sql/views, sql/metrics)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")
# The days a command may be asked about: none before the contract's first (no event is), and none so
# late that the next day or a year's end cannot be computed.
FIRST_DAY, LAST_DAY = date(2000, 1, 1), date(9998, 12, 31)


def local(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise ValueError(f"timestamp {t!r} has no time zone; KPI times must be aware")
    return t.astimezone(VIETNAM)
