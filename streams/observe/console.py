"""Department progress read from a /metrics endpoint: what the demo's live table shows."""

from __future__ import annotations

import urllib.request
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families

from streams.contract.reference import departments

Samples = dict[str, list[tuple[dict[str, str], float]]]


def scrape(url: str, timeout: float = 5.0) -> Samples:
    """Samples of a /metrics page by sample name."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return parse(response.read().decode("utf-8"))


def parse(text: str) -> Samples:
    """Samples of an exposition text by sample name."""
    samples: Samples = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[s.name].append((s.labels, s.value))
    return samples


def _by(samples: list[tuple[dict[str, str], float]], *keys: str) -> dict[tuple[str, ...], float]:
    return {tuple(labels.get(k, "") for k in keys): value for labels, value in samples}


@dataclass(frozen=True)
class ProgressRow:
    """One department (code "" for the nation): VND amounts and the pace ratio, None where not served."""

    code: str
    name: str
    ytd: float | None
    target: float | None
    illustrative: bool
    plan_to_date: float | None
    pace: float | None
    projected: float | None


@dataclass(frozen=True)
class Progress:
    as_of: datetime | None
    level: str
    departments: list[ProgressRow]  # the top ones by revenue to date
    national: ProgressRow


def progress(samples: Samples, level: str = "estimate", top: int = 12) -> Progress:
    """Departments by YTD with target, plan to date, pace and projection, and the national row."""
    ytd = _by(samples.get("customs_revenue_ytd_vnd", []), "department")
    target = _by(samples.get("customs_revenue_target_vnd", []), "department", "level")
    plan = _by(samples.get("customs_revenue_plan_to_date_vnd", []), "department", "level")
    pace = _by(samples.get("customs_revenue_pace_ratio", []), "department", "level")
    proj = _by(samples.get("customs_revenue_projected_year_end_vnd", []), "department")
    status = _by(samples.get("customs_kpi_target_info", []), "scope", "level", "status")
    as_of = samples.get("customs_kpi_as_of_timestamp_seconds", [])
    names = {d.code: d.short_vi for d in departments()}
    rows = [
        ProgressRow(
            code,
            names[code],
            ytd.get((code,)),
            target.get((code, level)),
            (code, level, "illustrative") in status,
            plan.get((code, level)),
            pace.get((code, level)),
            proj.get((code,)),
        )
        for code in sorted(names, key=lambda c: -ytd.get((c,), 0.0))[:top]
    ]
    n_proj = samples.get("customs_revenue_national_projected_year_end_vnd", [])
    national = ProgressRow(
        "",
        "National",
        sum(ytd.values()) if ytd else None,
        _by(samples.get("customs_revenue_national_target_vnd", []), "level").get((level,)),
        False,
        _by(samples.get("customs_revenue_national_plan_to_date_vnd", []), "level").get((level,)),
        _by(samples.get("customs_revenue_national_pace_ratio", []), "level").get((level,)),
        n_proj[0][1] if n_proj else None,
    )
    return Progress(datetime.fromtimestamp(as_of[0][1], UTC) if as_of else None, level, rows, national)
