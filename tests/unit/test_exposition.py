"""The exporter's output passes `promtool check metrics` (Prometheus' own linter)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from prometheus_client import generate_latest

from tests.support.kpi import kpi_registry
from tests.support.monitoring import tool


def test_promtool_accepts_the_exposition(tmp_path: Path) -> None:
    """Every metric family on /metrics (KPI and pipeline) is well formed and follows the naming rules."""
    promtool = tool("promtool")
    registry, _ = kpi_registry(tmp_path)
    text = generate_latest(registry)
    assert b"customs_revenue_pace_ratio" in text and b"customs_kpi_build_info" in text
    result = subprocess.run([promtool, "check", "metrics"], input=text, capture_output=True, check=False)
    assert result.returncode == 0, (result.stdout + result.stderr).decode()
    assert (result.stdout + result.stderr).strip() == b""
