"""The display rules the terminal, the demo and the briefing share (streams.kpi.display)."""

from __future__ import annotations

import pytest

from streams.contract.reference import departments, short_names
from streams.kpi.display import billions, number, per_cent


@pytest.mark.parametrize(
    ("vnd", "lang", "options", "shown"),
    [
        (54_667_000_000_000, "en", {}, "54,667"),
        (54_667_000_000_000, "vi", {}, "54.667"),
        (12_340_000_000, "en", {}, "12.3"),
        (12_340_000_000, "vi", {}, "12,3"),
        (99_950_000_000, "en", {}, "100.0"),  # under 100 bn before rounding: one decimal
        (0, "en", {"fine": True}, "0"),
        (40_000_000, "en", {"fine": True}, "0.040"),  # would be 0.0: three decimals on the terminal
        (40_000_000, "en", {}, "0.0"),
        (100_000, "en", {"fine": True}, "<0.001"),
        (-100_000, "en", {"fine": True}, ">-0.001"),
        (-3_500_000_000, "vi", {}, "-3,5"),
        (12_340_000_000, "en", {"decimals": 0}, "12"),  # the live table and the targets table: whole billions
    ],
)
def test_money_in_billions(vnd: float, lang: str, options: dict[str, object], shown: str) -> None:
    assert billions(vnd, lang, **options) == shown  # type: ignore[arg-type]


def test_per_cent_and_numbers_in_each_language() -> None:
    assert (per_cent(0.8163), per_cent(0.8163, "vi"), per_cent(1.25)) == ("81.6%", "81,6%", "125.0%")
    assert (number(1234567), number(1234567, lang="vi"), number(2.345, 2, "vi")) == ("1,234,567", "1.234.567", "2,35")


def test_a_department_has_one_short_name_whatever_name_it_comes_by() -> None:
    names = short_names()
    assert len(names) == 2 * 35 and len(set(names.values())) == 35
    assert names["Hai Phong Customs Department"] == names["Cục Hải quan TP Hải Phòng"] == "Hải Phòng"
    assert {d.short_vi for d in departments()} == set(names.values())
