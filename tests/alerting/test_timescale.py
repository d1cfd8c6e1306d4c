"""Time-compressed copies of the shipped rules: same expressions, every duration divided."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from tests.support.monitoring import PROMETHEUS_DIR, tool
from tests.support.timescale import TimeScale, format_duration, parse_duration, scale_rule_files


def test_durations() -> None:
    assert parse_duration("8d6h20m") == 8 * 86400 + 6 * 3600 + 20 * 60
    assert format_duration(22.5) == "22500ms" and format_duration(180) == "3m" and format_duration(0.3125) == "312ms"
    scale = TimeScale(2880)
    assert scale.expr('changes(x{a="1"}[18h]) == 0 and increase(y[7d] offset 18h) >= 200') == (
        'changes(x{a="1"}[22500ms]) == 0 and increase(y[210s] offset 22500ms) >= 200'
    )
    assert scale.expr("max_over_time(x[7d:1d])") == "max_over_time(x[210s:30s])"
    assert scale.expr("rate(x[5m])") == "rate(x[4s])"  # floored: a window holds a few scrapes


def test_scaled_rule_files_are_valid_and_keep_thresholds(tmp_path: Path) -> None:
    sources = sorted((PROMETHEUS_DIR / "rules").glob("*.yml"))
    written = scale_rule_files(sources, tmp_path, 2880)
    result = subprocess.run([tool("promtool"), "check", "rules", *map(str, written)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    original = yaml.safe_load(sources[1].read_text())["groups"][1]["rules"][0]
    scaled = yaml.safe_load(written[1].read_text())["groups"][1]["rules"][0]
    assert original["alert"] == scaled["alert"] == "CustomsRevenueBehindPaceCritical"
    assert scaled["for"] == "312ms" and scaled["labels"] == original["labels"]
    assert scaled["expr"] == original["expr"]  # recorded series carry the windows; thresholds unchanged
    windows = yaml.safe_load(written[1].read_text())["groups"][0]["rules"][0]["expr"]
    assert "[7500ms]" in windows and "[6h]" not in windows
