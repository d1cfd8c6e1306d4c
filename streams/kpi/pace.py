"""Pace, plan-to-date and projection at an as-of time (EVENTS.md, 'Targets and pace')."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from streams.kpi.clock import local
from streams.kpi.targets import NATIONAL, TargetBook


@dataclass(frozen=True)
class LevelFigures:
    level: str
    target_vnd: int
    plan_to_date_vnd: float
    pace_ratio: float | None  # None when plan_to_date is 0


@dataclass(frozen=True)
class ScopeFigures:
    scope: str
    ytd_vnd: int
    plan_share: float
    projected_year_end_vnd: float | None  # None when plan_share is 0
    levels: tuple[LevelFigures, ...]


def scope_figures(book: TargetBook, scope: str, ytd_vnd: int, as_of: datetime) -> ScopeFigures:
    """All figures of one scope (a department or national) at as_of."""
    year = local(as_of).year
    share = book.curve(year, scope).share(as_of)
    levels = []
    for target in sorted(book.for_year(year), key=lambda t: t.level):
        if target.scope != scope:
            continue
        plan = target.amount_vnd * share
        levels.append(LevelFigures(target.level, target.amount_vnd, plan, ytd_vnd / plan if plan else None))
    return ScopeFigures(scope, ytd_vnd, share, ytd_vnd / share if share else None, tuple(levels))


def all_figures(book: TargetBook, ytd_by_department: dict[str, int], as_of: datetime, departments: list[str]) -> list[ScopeFigures]:
    """Figures for every department (absent departments have ytd 0) and, last, the national scope."""
    figures = [scope_figures(book, d, ytd_by_department.get(d, 0), as_of) for d in departments]
    national = sum(ytd_by_department.values())
    return [*figures, scope_figures(book, NATIONAL, national, as_of)]
