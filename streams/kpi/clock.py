"""Vietnam local time (UTC+7, no daylight saving). Calendar boundaries of the KPIs (local day, year,
reporting period) are computed in SQL (sql/views, sql/metrics)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")


def local(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise ValueError(f"timestamp {t!r} has no time zone; KPI times must be aware")
    return t.astimezone(VIETNAM)
