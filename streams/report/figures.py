"""The row types of the briefing's figures: one per file of sql/report/ (its fields the file's
declared columns, in order), and the league entry the briefing completes with names. Dates arrive
as ISO text: the briefing is plain, JSON-able data."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class National:
    level: str | None
    target_status: str | None
    ytd_vnd: int
    target_vnd: int | None
    plan_to_date_vnd: float | None
    pace_ratio: float | None
    projected_year_end_vnd: float | None


@dataclass(frozen=True)
class YearOnYear:
    this_year_vnd: int
    last_year_vnd: int  # 0 when the data has no year before


@dataclass(frozen=True)
class League:
    department_code: str
    level: str | None
    target_status: str | None
    ytd_vnd: int
    target_vnd: int | None
    plan_to_date_vnd: float | None
    pace_ratio: float | None
    projected_year_end_vnd: float | None
    projected_target_ratio: float | None
    receipts: int


@dataclass(frozen=True)
class LeagueEntry(League):
    """A league row with the department's names and whether it is on pace (ytd at least its plan to date)."""

    name_vi: str = ""
    name_en: str = ""
    on_pace: bool = False


@dataclass(frozen=True)
class Shortfall:  # sql/queries/shortfall_by_tax_type.sql
    department_code: str
    tax_type: str
    ytd_vnd: int
    national_share: float | None
    expected_vnd: float | None
    gap_vnd: float | None


@dataclass(frozen=True)
class TaxType:
    tax_type: str
    gross_vnd: int
    refunded_vnd: int
    net_vnd: int


@dataclass(frozen=True)
class Declarations:
    flow: str
    channel: str
    declarations: int


@dataclass(frozen=True)
class Release:
    channel: str
    cleared: int  # at least 1: a channel without cleared declarations has no row
    median_hours: float
    p90_hours: float


@dataclass(frozen=True)
class Period:
    first_day: str  # ISO dates: the reporting period (16th to 15th) of as_of
    last_day: str


@dataclass(frozen=True)
class Enforcement:
    category: str
    cases: int
    goods_value_vnd: int
    prosecuted: int


@dataclass(frozen=True)
class Drugs:
    drug_unit: str
    cases: int
    quantity: float


@dataclass(frozen=True)
class Rejects:
    reason: str
    rejects: int


@dataclass(frozen=True)
class Daily:
    day: str
    net_vnd: int | None


@dataclass(frozen=True)
class PlanShare:
    plan_share: float | None


@dataclass(frozen=True)
class BurnUp:
    """Cumulative national net revenue by day (ISO) this year and the year before (on this year's
    dates), and the seasonal plan at each month's end for each target level."""

    this_year: list[tuple[str, int]]
    last_year: list[tuple[str, int]]
    plan: dict[str, list[tuple[str, float | None]]]


# sql/report/NAME.sql (or sql/queries/NAME.sql) and the row type its rows are read into.
READS: dict[str, type] = {
    "report/national": National,
    "report/year_on_year": YearOnYear,
    "report/league": League,
    "queries/shortfall_by_tax_type": Shortfall,
    "report/tax_types": TaxType,
    "report/declarations": Declarations,
    "report/release": Release,
    "report/period": Period,
    "report/enforcement": Enforcement,
    "report/drugs": Drugs,
    "report/rejects": Rejects,
    "report/daily": Daily,
    "report/plan_share": PlanShare,
}
