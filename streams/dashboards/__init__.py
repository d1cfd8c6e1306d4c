"""Grafana dashboards as code (grafana-foundation-sdk): `customs-kpi dashboards build` writes dashboards/*.json.

Five dashboards on the Prometheus datasource: national overview, department drill-down,
declarations, enforcement and pipeline health. Queries use the contract's metric names, the
recording rules of prometheus/rules and Grafana's $department, $__range and $__rate_interval.
"""

from __future__ import annotations

import json
from pathlib import Path

from grafana_foundation_sdk.cog.encoder import JSONEncoder

from streams.dashboards.operations import declarations, enforcement, pipeline
from streams.dashboards.revenue import department, national

BUILDERS = {
    "national-overview.json": national,
    "department.json": department,
    "declarations.json": declarations,
    "enforcement.json": enforcement,
    "pipeline-health.json": pipeline,
}


def render() -> dict[str, str]:
    """File name -> dashboard JSON text, panel ids numbered from 1 in order."""
    out = {}
    for name, builder in BUILDERS.items():
        doc = json.loads(json.dumps(builder().build(), cls=JSONEncoder))
        for i, panel in enumerate(doc.get("panels", []), start=1):
            panel["id"] = i
        out[name] = json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return out


def write(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render().items():
        (out_dir / name).write_text(text, encoding="utf-8")
        written.append(out_dir / name)
    return written


def stale(out_dir: Path) -> list[str]:
    """Files in out_dir that differ from what the code renders (missing ones included)."""
    return [name for name, text in render().items() if not (out_dir / name).is_file() or (out_dir / name).read_text("utf-8") != text]
