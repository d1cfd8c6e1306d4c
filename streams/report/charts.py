"""The briefing's charts, drawn by matplotlib into PNG images (embedded in the HTML as data URLs).

DejaVu Sans, matplotlib's own font, has the Vietnamese letters with their diacritics.
"""

from __future__ import annotations

import base64
import io
from datetime import date

import matplotlib

matplotlib.use("Agg")  # no display: files only

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

from streams.report.figures import BurnUp, LeagueEntry

BN = 1e9
COLOURS = {"this": "#0b5394", "last": "#999999", "estimate": "#e69138", "striving": "#6aa84f", "assigned": "#a64d79"}


def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _day_of_year(iso: str) -> float:
    d = date.fromisoformat(iso[:10])
    return float((d - date(d.year, 1, 1)).days)


def burn_up(burn: BurnUp, labels: dict[str, str]) -> str:
    """Cumulative net revenue against the seasonal plan of each target level (and last year's line), by day of the year."""
    figure, ax = plt.subplots(figsize=(9, 4.2))
    for key, points, style in (("this", burn.this_year, "-"), ("last", burn.last_year, "--")):
        if points:
            xs, ys = [_day_of_year(d) for d, _ in points], [v / BN for _, v in points]
            ax.plot(xs, ys, style, color=COLOURS[key], label=labels[key], linewidth=2)
    for level, plan in burn.plan.items():
        pts = [(_day_of_year(d), v / BN) for d, v in plan if v is not None]
        label = labels["plan"].format(level=labels.get(level, level))
        ax.plot([x for x, _ in pts], [y for _, y in pts], ":", color=COLOURS.get(level, "#444444"), label=label)
    ax.set_ylabel(labels["axis"])
    months = [float((date(2021, m, 1) - date(2021, 1, 1)).days) for m in range(1, 13)]
    ax.set_xticks(months, [f"{m:02d}" for m in range(1, 13)])
    ax.grid(alpha=0.3)
    ax.legend(loc="upper left", fontsize=8)
    return _png(figure)


def league(rows: list[LeagueEntry], name_key: str, labels: dict[str, str]) -> str:
    """Each department's % of its plan to date, lowest first; 100% marked."""
    paced = sorted(((r.pace_ratio, r) for r in rows if r.pace_ratio is not None), key=lambda pair: pair[0])
    ranked = [r for _, r in paced]
    figure, ax = plt.subplots(figsize=(9, max(3.0, 0.22 * len(ranked) + 0.8)))
    values = [float(pace) * 100 for pace, _ in paced]
    colours = ["#cc0000" if v < 95 else ("#e69138" if v < 100 else "#6aa84f") for v in values]
    ax.barh([str(getattr(r, name_key)) for r in ranked], values, color=colours)
    ax.axvline(100, color="#333333", linewidth=1)
    ax.set_xlabel(labels["pace_axis"])
    ax.tick_params(axis="y", labelsize=7)
    ax.grid(axis="x", alpha=0.3)
    return _png(figure)


def shares(values: dict[str, float], title: str) -> str:
    """A horizontal bar of shares (channel mix, tax types)."""
    figure, ax = plt.subplots(figsize=(6, max(1.6, 0.35 * len(values) + 0.6)))
    names = list(values)
    ax.barh(names, [values[n] * 100 for n in names], color="#0b5394")
    ax.set_xlabel("%")
    ax.set_title(title, fontsize=9)
    ax.grid(axis="x", alpha=0.3)
    return _png(figure)
