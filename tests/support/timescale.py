"""Run the shipped Prometheus rules on compressed time.

With the event clock and the simulator's time compression, one real second carries `factor`
seconds of event time. Dividing every duration of the rules by the same factor (range windows,
offsets, subquery steps, `for`, `keep_firing_for` and group intervals) makes Prometheus see in
seconds what it would see in days: same expressions, thresholds and labels, shorter clocks.
Durations are floored so that windows still hold a few scrapes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

_UNIT_S = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400, "y": 365 * 86400}
_DURATION = r"(?:\d+(?:ms|[smhdwy]))+"
_PART = re.compile(r"(\d+)(ms|[smhdwy])")
# [6h], [7d:1d], [1h:], and "offset 6h" / "offset -6h"
_RANGE = re.compile(rf"\[({_DURATION})(?::({_DURATION})?)?\]")
_OFFSET = re.compile(rf"\boffset\s+(-?)({_DURATION})")


def parse_duration(text: str) -> float:
    """Seconds in a Prometheus duration such as 8d6h20m or 625ms."""
    if not re.fullmatch(_DURATION, text):
        raise ValueError(f"not a Prometheus duration: {text!r}")
    return sum(int(n) * _UNIT_S[u] for n, u in _PART.findall(text))


def format_duration(seconds: float) -> str:
    """The shortest exact Prometheus spelling, in whole milliseconds."""
    ms = max(1, round(seconds * 1000))
    for unit, size in (("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000)):
        if ms % size == 0:
            return f"{ms // size}{unit}"
    return f"{ms}ms"


class TimeScale:
    def __init__(self, factor: float, *, min_interval_s: float = 1.0, min_window_s: float = 4.0) -> None:
        if factor < 1:
            raise ValueError(f"time compression factor must be at least 1, got {factor}")
        self.factor = factor
        self.min_interval_s = min_interval_s
        self.min_window_s = min_window_s

    def window(self, text: str) -> str:
        return format_duration(max(self.min_window_s, parse_duration(text) / self.factor))

    def period(self, text: str) -> str:
        """`for`, offsets and steps: scaled exactly (a `for` may be shorter than one evaluation)."""
        return format_duration(parse_duration(text) / self.factor)

    def interval(self, text: str) -> str:
        return format_duration(max(self.min_interval_s, parse_duration(text) / self.factor))

    def expr(self, promql: str) -> str:
        def ranged(m: re.Match[str]) -> str:
            window = self.window(m.group(1))
            if ":" not in m.group(0):
                return f"[{window}]"
            return f"[{window}:{self.period(m.group(2)) if m.group(2) else ''}]"

        promql = _RANGE.sub(ranged, promql)
        return _OFFSET.sub(lambda m: f"offset {m.group(1)}{self.window(m.group(2))}", promql)

    def rules(self, doc: dict[str, Any]) -> dict[str, Any]:
        out: dict[str, Any] = {"groups": []}
        for group in doc["groups"]:
            g = dict(group)
            if "interval" in g:
                g["interval"] = self.interval(g["interval"])
            g["rules"] = []
            for rule in group["rules"]:
                r = dict(rule)
                r["expr"] = self.expr(r["expr"])
                for key in ("for", "keep_firing_for"):
                    if key in r:
                        r[key] = self.period(r[key])
                g["rules"].append(r)
            out["groups"].append(g)
        return out


def scale_rule_files(sources: list[Path], target_dir: Path, factor: float) -> list[Path]:
    """Write time-compressed copies of rule files into target_dir; returns their paths."""
    scale = TimeScale(factor)
    target_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for src in sources:
        doc = yaml.safe_load(src.read_text(encoding="utf-8"))
        dst = target_dir / src.name
        header = f"# {src.name} with every duration divided by {factor:g} (tests.support.timescale); do not edit.\n"
        dst.write_text(header + yaml.safe_dump(scale.rules(doc), sort_keys=False, allow_unicode=True, width=200), encoding="utf-8")
        written.append(dst)
    return written
