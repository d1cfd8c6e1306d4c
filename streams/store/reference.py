"""Write the departments, targets and plan curves into DuckDB, so SQL views compute what /metrics does."""

from __future__ import annotations

import polars as pl

from streams.contract.reference import departments
from streams.kpi.targets import NATIONAL, TargetBook
from streams.store.database import EventStore


def curve_rows(book: TargetBook) -> pl.DataFrame:
    """Resolved curves for every (year with a target or a configured curve, scope), plus the default
    curve (year and scope null): the SQL's plan_share then gives what the targets file says for any year."""
    scopes = [NATIONAL, *(d.code for d in departments())]
    years = sorted({t.year for t in book.targets} | {year for year, _ in book.curves})
    rows: list[tuple[int | None, str | None, int, float]] = []
    for year in years:
        for scope in scopes:
            curve = book.curve(year, scope)
            rows += [(year, scope, m, curve.month_end(m)) for m in range(1, 13)]
    rows += [(None, None, m, book.fallback_curve.month_end(m)) for m in range(1, 13)]
    return pl.DataFrame(rows, schema={"year": pl.Int32, "scope": pl.String, "month": pl.Int32, "cumulative": pl.Float64}, orient="row")


def write_reference(store: EventStore, book: TargetBook) -> None:
    """Replace the reference tables' contents in one transaction."""
    targets = pl.DataFrame(
        [(t.year, t.scope, t.level, t.amount_vnd, t.status, t.basis, t.source) for t in book.targets],
        schema={
            "year": pl.Int32,
            "scope": pl.String,
            "level": pl.String,
            "amount_vnd": pl.Int64,
            "status": pl.String,
            "basis": pl.String,
            "source": pl.String,
        },
        orient="row",
    )
    depts = pl.DataFrame([d.__dict__ for d in departments()])
    store.replace_tables({"departments": depts, "targets": targets, "plan_curves": curve_rows(book)})
