"""Plan curves and targets as loaded from files (the pace formulas themselves are SQL: test_kpi_sql.py)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from streams.errors import InputFileError
from streams.kpi.allocation import render_targets_csv
from streams.kpi.plan import PlanCurve, default_curve
from streams.kpi.targets import load_targets

PACKAGE = Path(__file__).resolve().parents[2] / "streams"


def test_default_curve_follows_the_contract() -> None:
    """Cm = cumulative of month m / 317090, with C8 and C9 interpolated between C7 and C10."""
    c = default_curve().cumulative
    assert c[0] == pytest.approx(26019 / 317090)
    assert c[6] == pytest.approx(174603 / 317090)
    assert c[7] == pytest.approx((174603 + (250460 - 174603) / 3) / 317090)
    assert c[8] == pytest.approx((174603 + 2 * (250460 - 174603) / 3) / 317090)
    assert c[11] == 1.0


def test_curve_must_be_cumulative() -> None:
    """A curve that decreases or does not end at 1 is refused."""
    with pytest.raises(ValueError, match="12 non-decreasing"):
        PlanCurve((0.5, 0.4, *([1.0] * 10)))


def test_shipped_targets_file_is_what_the_generator_writes() -> None:
    """streams/kpi/data/targets.csv regenerates with no difference."""
    assert (PACKAGE / "kpi/data/targets.csv").read_text("utf-8") == render_targets_csv()


def test_default_targets_reproduce_published_figures() -> None:
    """2021: department estimates add up to the national 315,000 bn; published rows are official, the rest illustrative."""
    book = load_targets()
    t2021 = {(t.scope, t.level): t for t in book.for_year(2021)}
    assert t2021[("national", "estimate")].amount_vnd == 315_000 * 10**9
    assert t2021[("national", "striving")].amount_vnd == 330_750 * 10**9
    assert t2021[("03", "assigned")].amount_vnd == 56_000 * 10**9
    assert t2021[("03", "assigned")].status == "official"
    assert t2021[("02", "estimate")].status == "official"
    estimates = [t for (scope, level), t in t2021.items() if level == "estimate" and scope != "national"]
    assert len(estimates) == 35
    assert sum(t.amount_vnd for t in estimates) == 315_000 * 10**9
    assert {t.status for t in estimates if t.scope not in ("02", "20", "27")} == {"illustrative"}


def test_targets_from_yaml_with_a_curve(tmp_path: Path) -> None:
    """A YAML file gives targets and a per-scope curve."""
    path = tmp_path / "t.yaml"
    path.write_text(
        "targets:\n  - {year: 2022, scope: '15', level: assigned, amount_bn_vnd: 4000}\n"
        "curves:\n  - {year: 2022, scope: '15', cumulative: [0.1,0.2,0.3,0.4,0.5,0.6,0.7,0.8,0.9,0.95,0.98,1]}\n"
    )
    book = load_targets(path)
    assert book.for_year(2022)[0].amount_vnd == 4_000 * 10**9
    assert book.curve(2022, "15").cumulative[0] == 0.1
    assert book.curve(2022, "03") == default_curve()


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("2021,99,estimate,5", "scope '99'"),
        ("2021,national,goal,5", "level 'goal'"),
        ("2021,national,estimate,-5", "amount must be positive"),
        ("2021,national,estimate,abc", "amount_bn_vnd"),
    ],
)
def test_bad_targets_file_says_what_is_wrong(tmp_path: Path, row: str, problem: str) -> None:
    """A bad row names the file, the line and the problem."""
    path = tmp_path / "t.csv"
    path.write_text(f"year,scope,level,amount_bn_vnd\n{row}\n")
    with pytest.raises(InputFileError, match=problem) as info:
        load_targets(path)
    assert "line 2" in str(info.value)


def test_targets_csv_rows_are_labelled() -> None:
    """Every row of the shipped file says official or illustrative and gives a source."""
    rows = list(csv.DictReader((PACKAGE / "kpi/data/targets.csv").read_text("utf-8").splitlines()))
    assert {r["status"] for r in rows} == {"official", "illustrative"}
    assert all(r["source"] for r in rows)
