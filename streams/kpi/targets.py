"""Annual targets by (year, scope, level), read from CSV or YAML."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import yaml

from streams.contract.reference import department_codes
from streams.errors import InputFileError
from streams.kpi.plan import PlanCurve, default_curve

LEVELS = ("estimate", "assigned", "striving")
NATIONAL = "national"
BN = 1_000_000_000


@dataclass(frozen=True)
class Target:
    year: int
    scope: str  # a department code or "national"
    level: str
    amount_vnd: int
    status: str = "official"  # official or illustrative
    basis: str = ""
    source: str = ""


@dataclass(frozen=True)
class TargetBook:
    """All targets, plus any plan curves configured per (year, scope)."""

    targets: tuple[Target, ...]
    curves: dict[tuple[int, str], PlanCurve] = field(default_factory=dict)
    fallback_curve: PlanCurve = field(default_factory=default_curve)

    def for_year(self, year: int) -> list[Target]:
        return [t for t in self.targets if t.year == year]

    def curve(self, year: int, scope: str) -> PlanCurve:
        """The scope's own curve for the year, else the national one for the year, else the default."""
        return self.curves.get((year, scope)) or self.curves.get((year, NATIONAL)) or self.fallback_curve


def _target(row: dict[str, object], where: str) -> Target:
    try:
        year = int(str(row["year"]))
        scope = str(row["scope"]).strip()
        level = str(row["level"]).strip()
        given_in_vnd = row.get("amount_vnd") not in (None, "")
        amount = int(str(row["amount_vnd"])) if given_in_vnd else round(float(str(row["amount_bn_vnd"])) * BN)
    except (KeyError, ValueError) as exc:
        raise InputFileError(where, f"needs year, scope, level and amount_vnd or amount_bn_vnd ({exc})") from exc
    if scope != NATIONAL and scope not in department_codes():
        raise InputFileError(where, f"scope {scope!r} is neither 'national' nor a department code")
    if level not in LEVELS:
        raise InputFileError(where, f"level {level!r} is not one of {', '.join(LEVELS)}")
    if amount <= 0:
        raise InputFileError(where, f"amount must be positive, got {amount}")
    status = str(row.get("status") or "official")
    if status not in ("official", "illustrative"):
        raise InputFileError(where, f"status {status!r} must be official or illustrative")
    return Target(year, scope, level, amount, status, str(row.get("basis") or ""), str(row.get("source") or ""))


def _check_unique(targets: Iterable[Target], path: str) -> tuple[Target, ...]:
    seen: set[tuple[int, str, str]] = set()
    for t in targets:
        key = (t.year, t.scope, t.level)
        if key in seen:
            raise InputFileError(path, f"target {key} is given twice")
        seen.add(key)
    return tuple(targets)


def load_targets(path: str | Path | None = None) -> TargetBook:
    """Targets from a CSV or YAML file, or the default file shipped with the package."""
    if path is None:
        text = resources.files("streams.kpi").joinpath("data/targets.csv").read_text("utf-8")
        rows = list(csv.DictReader(text.splitlines()))
        return TargetBook(_check_unique([_target(r, f"targets.csv line {i + 2}") for i, r in enumerate(rows)], "targets.csv"))
    path = Path(path)
    if not path.is_file():
        raise InputFileError(str(path), "no such targets file (expected a .csv or .yaml file)")
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(path.read_text("utf-8").splitlines()))
        return TargetBook(_check_unique([_target(r, f"{path} line {i + 2}") for i, r in enumerate(rows)], str(path)))
    if path.suffix.lower() in (".yaml", ".yml"):
        doc = yaml.safe_load(path.read_text("utf-8")) or {}
        targets = [_target(r, f"{path} targets[{i}]") for i, r in enumerate(doc.get("targets", []))]
        curves = {}
        for i, c in enumerate(doc.get("curves", [])):
            try:
                curves[(int(c["year"]), str(c.get("scope", NATIONAL)))] = PlanCurve(tuple(float(v) for v in c["cumulative"]))
            except (KeyError, ValueError, TypeError) as exc:
                raise InputFileError(str(path), f"curves[{i}] needs year, scope and 12 cumulative shares ending at 1 ({exc})") from exc
        return TargetBook(_check_unique(targets, str(path)), curves)
    raise InputFileError(str(path), f"unsupported targets file type {path.suffix!r}; expected .csv, .yaml or .yml")
