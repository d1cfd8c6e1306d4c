"""Vietnam local time (UTC+7, no daylight saving) and the calendar boundaries KPIs use."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

VIETNAM = timezone(timedelta(hours=7), "ICT")


def local(t: datetime) -> datetime:
    if t.tzinfo is None:
        raise ValueError(f"timestamp {t!r} has no time zone; KPI times must be aware")
    return t.astimezone(VIETNAM)


def year_start(t: datetime) -> datetime:
    """Midnight of 1 January, Vietnam time, of the local year containing t."""
    return datetime(local(t).year, 1, 1, tzinfo=VIETNAM)


def month_bounds(t: datetime) -> tuple[datetime, datetime]:
    """Start of the local month containing t and start of the next one."""
    lt = local(t)
    start = datetime(lt.year, lt.month, 1, tzinfo=VIETNAM)
    end = datetime(lt.year + (lt.month == 12), lt.month % 12 + 1, 1, tzinfo=VIETNAM)
    return start, end


def reporting_period(t: datetime) -> tuple[datetime, datetime]:
    """The seizure reporting period containing t: from the 16th of a month (local midnight) to the 16th of the next."""
    lt = local(t)
    year, month = (lt.year, lt.month) if lt.day >= 16 else (lt.year - (lt.month == 1), (lt.month - 2) % 12 + 1)
    start = datetime(year, month, 16, tzinfo=VIETNAM)
    end = datetime(year + (month == 12), month % 12 + 1, 16, tzinfo=VIETNAM)
    return start, end
