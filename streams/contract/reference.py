"""Reference data shipped with the package (copied from shared/reference, see its README)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class Department:
    code: str
    name_vi: str
    name_en: str
    region: str

    @property
    def short_vi(self) -> str:
        """The department as people say it, with its diacritics: Hải Phòng, Lạng Sơn, Bà Rịa - Vũng Tàu."""
        place = self.name_vi.removeprefix("Cục Hải quan ")
        for kind in ("TP ", "tỉnh "):
            place = place.removeprefix(kind)
        return place


def read_reference_csv(name: str) -> list[dict[str, str]]:
    """Rows of one reference CSV file shipped in streams/contract/reference/."""
    text = resources.files("streams.contract").joinpath(f"reference/{name}").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def departments() -> tuple[Department, ...]:
    """The 35 customs departments of 2020-2021, in code order."""
    return tuple(Department(**row) for row in read_reference_csv("departments.csv"))


@cache
def short_names() -> dict[str, str]:
    """Each department's full names (English and Vietnamese) -> its short Vietnamese name, the one
    name the terminal, the demo and the briefing show (by code: departments())."""
    return {name: d.short_vi for d in departments() for name in (d.name_en, d.name_vi)}


@cache
def department_codes() -> frozenset[str]:
    return frozenset(d.code for d in departments())
