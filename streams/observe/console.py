"""A terminal table of department progress, read from a /metrics endpoint."""

from __future__ import annotations

import urllib.request
from collections import defaultdict
from datetime import UTC, datetime

from prometheus_client.parser import text_string_to_metric_families
from rich.table import Table

from streams.contract.reference import departments
from streams.kpi.clock import VIETNAM

BN = 1e9


def scrape(url: str, timeout: float = 5.0) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Samples of a /metrics page by sample name."""
    with urllib.request.urlopen(url, timeout=timeout) as response:
        text = response.read().decode("utf-8")
    samples: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            samples[s.name].append((s.labels, s.value))
    return samples


def _by(samples: list[tuple[dict[str, str], float]], *keys: str) -> dict[tuple[str, ...], float]:
    return {tuple(labels.get(k, "") for k in keys): value for labels, value in samples}


def _bn(v: float | None) -> str:
    return "" if v is None else f"{v / BN:,.0f}"


def progress_table(samples: dict[str, list[tuple[dict[str, str], float]]], level: str = "estimate", top: int = 12) -> Table:
    """Departments by YTD with target, plan to date, pace and projection (bn VND); national last."""
    ytd = _by(samples.get("customs_revenue_ytd_vnd", []), "department")
    target = _by(samples.get("customs_revenue_target_vnd", []), "department", "level")
    plan = _by(samples.get("customs_revenue_plan_to_date_vnd", []), "department", "level")
    pace = _by(samples.get("customs_revenue_pace_ratio", []), "department", "level")
    proj = _by(samples.get("customs_revenue_projected_year_end_vnd", []), "department")
    status = _by(samples.get("customs_kpi_target_info", []), "scope", "level", "status")
    as_of = samples.get("customs_kpi_as_of_timestamp_seconds", [])
    when = datetime.fromtimestamp(as_of[0][1], UTC).astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M ICT") if as_of else "no data yet"
    table = Table(title=f"Revenue progress at {when} ({level} targets, bn VND; * = illustrative target)", title_justify="left")
    for name, justify in (
        ("dept", "left"),
        ("name", "left"),
        ("YTD", "right"),
        ("target", "right"),
        ("plan to date", "right"),
        ("pace", "right"),
        ("projected year end", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    names = {d.code: d.name_en.removesuffix(" Customs Department") for d in departments()}
    rows = sorted(names, key=lambda c: -ytd.get((c,), 0.0))[:top]
    for code in rows:
        p = pace.get((code, level))
        mark = "*" if (code, level, "illustrative") in status else ""
        style = "red" if p is not None and p < 0.95 else ("yellow" if p is not None and p < 1.0 else "green")
        table.add_row(
            code,
            names[code],
            _bn(ytd.get((code,))),
            _bn(target.get((code, level))) + mark,
            _bn(plan.get((code, level))),
            f"[{style}]{p:.1%}[/]" if p is not None else "",
            _bn(proj.get((code,))),
        )
    n_target = _by(samples.get("customs_revenue_national_target_vnd", []), "level").get((level,))
    n_plan = _by(samples.get("customs_revenue_national_plan_to_date_vnd", []), "level").get((level,))
    n_pace = _by(samples.get("customs_revenue_national_pace_ratio", []), "level").get((level,))
    n_proj = samples.get("customs_revenue_national_projected_year_end_vnd", [])
    table.add_section()
    table.add_row(
        "",
        "National",
        _bn(sum(ytd.values()) if ytd else None),
        _bn(n_target),
        _bn(n_plan),
        f"{n_pace:.1%}" if n_pace is not None else "",
        _bn(n_proj[0][1] if n_proj else None),
    )
    return table
