"""Dashboards as code: committed JSON matches the code, every panel is complete, every query parses.

That every query returns data from a Prometheus fed by the pipeline is proven in
tests/integration/test_alerting_e2e.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import yaml

from streams.dashboards import BUILDERS, stale
from streams.dashboards.panels import DATASOURCE_UID
from tests.support.monitoring import DASHBOARDS_DIR, dashboard_queries, tool

PROVISIONING = DASHBOARDS_DIR / "provisioning"


def _dashboards() -> list[dict]:
    return [json.loads((DASHBOARDS_DIR / name).read_text(encoding="utf-8")) for name in BUILDERS]


def test_committed_json_is_what_the_code_renders() -> None:
    assert stale(DASHBOARDS_DIR) == [], "run `customs-kpi dashboards build` and commit dashboards/"
    assert sorted(p.name for p in DASHBOARDS_DIR.glob("*.json")) == sorted(BUILDERS)  # no orphan dashboards


def test_uids_are_unique_and_stable() -> None:
    uids = [d["uid"] for d in _dashboards()]
    assert uids == ["customs-national", "customs-department", "customs-declarations", "customs-enforcement", "customs-pipeline"]
    panel_ids = [[p["id"] for p in d["panels"]] for d in _dashboards()]
    assert all(ids == list(range(1, len(ids) + 1)) for ids in panel_ids)


def test_every_panel_has_title_description_unit_and_the_provisioned_datasource() -> None:
    provisioned = yaml.safe_load((PROVISIONING / "datasources" / "prometheus.yml").read_text())["datasources"]
    assert [ds["uid"] for ds in provisioned] == [DATASOURCE_UID]
    ref = {"type": "prometheus", "uid": DATASOURCE_UID}
    count = 0
    for d in _dashboards():
        assert d["title"] and d["description"] and "customs-kpi" in d["tags"]
        for panel in d["panels"]:
            where = f"{d['uid']} / {panel.get('title')!r}"
            assert panel["title"].strip(), where
            assert len(panel["description"]) >= 30, where
            assert panel["fieldConfig"]["defaults"]["unit"], where
            assert panel["datasource"] == ref, where
            assert panel["targets"], where
            for target in panel["targets"]:
                assert target["datasource"] == ref and target["expr"].strip(), where
            count += 1
        for variable in d.get("templating", {}).get("list", []):
            assert variable["datasource"] == ref
    assert count == 45  # 12 national, 10 department, 5 declarations, 6 enforcement, 12 pipeline


def test_every_query_parses(tmp_path: Path) -> None:
    """promtool parses each query (Grafana's variables substituted) as a recording rule expression."""
    queries = dashboard_queries()
    rules = {
        "groups": [{"name": "dashboards", "rules": [{"record": f"dashboard:query:{i}", "expr": e} for i, (_, _, e) in enumerate(queries)]}]
    }
    path = tmp_path / "dashboards.rules.yml"
    path.write_text(yaml.safe_dump(rules))
    result = subprocess.run([tool("promtool"), "check", "rules", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(queries)} rules found" in result.stdout
    assert not [e for _, _, e in queries if "$" in e]  # every variable substituted


def test_queries_use_only_exposed_metrics_and_recording_rules() -> None:
    """Every metric name in a query is exposed by the consumer, recorded by the shipped rules or built into Prometheus."""
    from prometheus_client import CollectorRegistry

    from streams.observe.kpi_collector import KpiCollector
    from streams.observe.pipeline import PipelineMetrics

    registry = CollectorRegistry()
    PipelineMetrics.create(registry, {})
    families = [*registry.collect(), *KpiCollector(lambda: None, "wall").describe()]  # type: ignore[arg-type, return-value]
    exposed = set()
    for family in families:
        suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}.get(family.type, [""])
        exposed |= {family.name + s for s in suffixes}
    recorded = set()
    for rules in (DASHBOARDS_DIR.parent / "prometheus" / "rules").glob("*.yml"):
        recorded |= {r["record"] for g in yaml.safe_load(rules.read_text())["groups"] for r in g["rules"] if "record" in r}
    known = exposed | recorded | {"ALERTS", "up"}
    functions_and_words = {"sum", "group_right", "max", "sort", "sort_desc", "scalar", "increase", "rate", "time", "histogram_quantile"}
    used = set()
    for _, _, expr in dashboard_queries():
        without_strings = re.sub(r'"[^"]*"', "", expr)
        without_labels = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\b(by|on|without)\s*\([a-z_, ]*\)", " ", without_strings)
        used |= {w for w in re.findall(r"[a-zA-Z_:][a-zA-Z0-9_:]*", without_labels) if w not in functions_and_words}
    assert used - known == set()
    assert "customs_revenue_pace_ratio" in used and "customs_department:revenue_pace:ratio3d" in used
