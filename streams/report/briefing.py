"""Every figure of the briefing at one as_of, read from the curated views through the sandbox (sql/report/).

The result is plain data (JSON-able): the HTML embeds it whole, so a reader, and the tests, can
check each printed number against it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

import polars as pl

from streams.contract.reference import departments
from streams.kpi.clock import VIETNAM
from streams.query import freshness, latest_event, ready_query
from streams.read import Connection, Source, run_query
from streams.report.figures import (
    BurnUp,
    Daily,
    Declarations,
    Drugs,
    Enforcement,
    League,
    LeagueEntry,
    National,
    Period,
    PlanShare,
    Rejects,
    Release,
    Shortfall,
    TaxType,
    YearOnYear,
)
from streams.store import check_params, statement

R = TypeVar("R")


def end_of_day(day: date) -> datetime:
    """The last instant of a local (Vietnam) day: a briefing "as of" a day covers all of it."""
    return datetime.combine(day + timedelta(days=1), time(), VIETNAM) - timedelta(microseconds=1)


@dataclass
class Briefing:
    as_of: str  # ISO, the last instant of the day
    day: str
    year: int
    national: list[National]  # per target level: ytd, target, plan to date, pace, projection
    year_on_year: YearOnYear
    league: list[LeagueEntry]  # the 35 departments, each at its estimate level or else its only level, with names
    on_pace: int  # departments whose ytd is at least their plan to date (estimate level)
    with_target: int
    burn_up: BurnUp
    shortfalls: list[Shortfall]  # the tax types that drive the largest shortfalls
    tax_types: list[TaxType]
    declarations: list[Declarations]
    release: list[Release]
    period: Period
    enforcement: list[Enforcement]
    drugs: list[Drugs]
    rejects: list[Rejects]
    freshness: str
    latest_event: str | None
    notes: list[str] = field(default_factory=list)  # facts the reader must know (no data, no targets, ...)

    @property
    def has_data(self) -> bool:
        return any(r.receipts for r in self.league)

    @property
    def has_targets(self) -> bool:
        return any(r.level is not None for r in self.national)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def typed(frame: pl.DataFrame, name: str, row: type[R]) -> list[R]:
    """A result's rows as `row`, by column name (the file's declared columns are its fields), each
    value plain: datetimes and dates as ISO text."""
    fields = tuple(f.name for f in dataclasses.fields(row))  # type: ignore[arg-type]  # a dataclass, as READS holds
    if set(frame.columns) != set(fields):
        raise TypeError(f"sql/{name}.sql returns {', '.join(frame.columns)}; {row.__name__} reads {', '.join(fields)}")
    return [row(**{k: _plain(v) for k, v in values.items()}) for values in frame.iter_rows(named=True)]


def _rows(con: Connection, source: Source, name: str, row: type[R], **params: object) -> list[R]:
    checked = check_params(f"report/{name}", params)  # exactly the file's declared $parameters
    frame = run_query(con, source, statement(f"report/{name}"), max_rows=100_000, timeout_s=300, params=checked).frame
    return typed(frame, f"report/{name}", row)


def _plain(value: object) -> object:
    """JSON's kinds: datetimes and dates as ISO text, huge integers as int."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def gather(con: Connection, source: Source, day: date, now: datetime | None = None) -> Briefing:
    """The briefing's figures for the local day `day` (up to its last instant)."""
    as_of = end_of_day(day)
    names = {d.code: d for d in departments()}
    national = _rows(con, source, "national", National, as_of=as_of)
    yoy = _rows(con, source, "year_on_year", YearOnYear, as_of=as_of)[0]
    league = []
    for row in _rows(con, source, "league", League, as_of=as_of):
        d = names[row.department_code]
        on_pace = row.pace_ratio is not None and row.pace_ratio >= 1
        short_en = d.name_en.removesuffix(" Customs Department")
        league.append(LeagueEntry(**asdict(row), name_vi=d.short_vi, name_en=short_en, on_pace=on_pace))
    worst = ready_query(con, source, "shortfall_by_tax_type", as_of, 10_000, 300).frame.sort("gap_vnd").head(8)
    period = _rows(con, source, "period", Period, as_of=as_of)[0]
    latest = latest_event(con, source)
    briefing = Briefing(
        as_of=as_of.isoformat(),
        day=day.isoformat(),
        year=day.year,
        national=national,
        year_on_year=YearOnYear(yoy.this_year_vnd or 0, yoy.last_year_vnd or 0),
        league=league,
        on_pace=sum(r.on_pace for r in league),
        with_target=sum(r.target_vnd is not None for r in league),
        burn_up=_burn_up(con, source, day, national),
        shortfalls=typed(worst, "queries/shortfall_by_tax_type", Shortfall),
        tax_types=_rows(con, source, "tax_types", TaxType, as_of=as_of),
        declarations=_rows(con, source, "declarations", Declarations, as_of=as_of),
        release=_rows(con, source, "release", Release, as_of=as_of),
        period=period,
        enforcement=_rows(con, source, "enforcement", Enforcement, as_of=as_of, first=period.first_day),
        drugs=_rows(con, source, "drugs", Drugs, as_of=as_of, first=period.first_day),
        rejects=_rows(con, source, "rejects", Rejects, as_of=as_of),
        freshness=freshness(source, now),
        latest_event=latest.isoformat() if latest is not None else None,
    )
    briefing.notes = _notes(briefing)
    return briefing


def _burn_up(con: Connection, source: Source, day: date, national: list[National]) -> BurnUp:
    """Cumulative national net revenue by day this year (and the year before, on this year's dates),
    and the seasonal plan at each month's end for each target level."""
    daily = _rows(con, source, "daily", Daily, as_of=end_of_day(day))
    this: list[tuple[str, int]] = []
    last: list[tuple[str | None, int]] = []
    total_this = total_last = 0
    for row in daily:
        d = date.fromisoformat(row.day)
        if d.year == day.year:
            total_this += int(row.net_vnd or 0)
            this.append((d.isoformat(), total_this))
        else:
            total_last += int(row.net_vnd or 0)
            last.append((d.replace(year=day.year).isoformat() if (d.month, d.day) != (2, 29) else None, total_last))
    # The plan is linear within a month: its month ends draw it (the year's last instant, not the next 1 January, when it restarts).
    ends = [datetime.combine(date(day.year, m, 1), time(), VIETNAM) for m in range(1, 13)] + [end_of_day(date(day.year, 12, 31))]
    shares: list[tuple[str, float | None]] = []
    for at in ends:
        found = _rows(con, source, "plan_share", PlanShare, at=at)
        shares.append((at.date().isoformat(), found[0].plan_share if found else None))
    plan = {
        r.level: [(d, r.target_vnd * s if s is not None and r.target_vnd is not None else None) for d, s in shares]
        for r in national
        if r.level is not None
    }
    return BurnUp(this, [(d, v) for d, v in last if d is not None], plan)


def _notes(b: Briefing) -> list[str]:
    """What the reader must be told in words (codes the renderer translates)."""
    notes = []
    if not b.has_data:
        notes.append("no_data")
    if not b.has_targets:
        notes.append("no_targets")
    if not b.year_on_year.last_year_vnd:
        notes.append("no_last_year")
    if any(r.receipts == 0 for r in b.league) and b.has_data:
        notes.append("silent_departments")
    if any(r.target_status == "illustrative" for r in b.league):
        notes.append("illustrative_targets")
    return notes
