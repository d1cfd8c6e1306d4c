"""The default targets file: published figures plus an ILLUSTRATIVE allocation of the 2021 estimate.

Only a few departments have a published 2021 figure (reference/revenue_facts.csv). The national
estimate left over after them is spread over the other departments by the weights below. The
weights are invented to look plausible (about 80% of revenue in eight departments, HCMC about a
third, as FACTS.md reports); they are not official and every row they produce says so.
"""

from __future__ import annotations

import csv
import io

from streams.contract.reference import departments, read_reference_csv

ALLOCATED_YEAR = 2021
MEASURE_TO_LEVEL = {"estimate": "estimate", "assigned": "assigned", "striving": "striving"}

# Relative weights (bn VND scale) for departments with no published 2021 estimate. Illustrative.
ILLUSTRATIVE_WEIGHTS: dict[str, float] = {
    "01": 30000,
    "51": 16000,
    "47": 14000,
    "43": 12500,
    "18": 10000,
    "28": 6500,
    "35": 3800,
    "48": 3600,
    "34": 3500,
    "30": 3000,
    "60": 2500,
    "13": 1700,
    "29": 1600,
    "41": 1500,
    "45": 1500,
    "61": 1000,
    "33": 900,
    "37": 900,
    "54": 600,
    "11": 500,
    "32": 450,
    "49": 350,
    "31": 300,
    "50": 300,
    "10": 250,
    "53": 250,
    "40": 200,
    "59": 200,
    "38": 150,
    "12": 60,
}
# Departments whose published 2021 figure is another level: their estimate is taken as that figure.
ESTIMATE_FROM_OTHER_LEVEL = {"03": "assigned", "15": "assigned"}

COLUMNS = ["year", "scope", "level", "amount_bn_vnd", "status", "basis", "source"]


def _largest_remainder(total: int, weights: dict[str, float]) -> dict[str, int]:
    """Whole-bn amounts proportional to weights that add up to total exactly."""
    s = sum(weights.values())
    raw = {k: total * w / s for k, w in weights.items()}
    floor = {k: int(v) for k, v in raw.items()}
    left = total - sum(floor.values())
    for k in sorted(raw, key=lambda k: raw[k] - floor[k], reverse=True)[:left]:
        floor[k] += 1
    return floor


def default_target_rows() -> list[dict[str, str]]:
    """Rows of streams/kpi/data/targets.csv, official first, then the illustrative allocation."""
    facts = read_reference_csv("revenue_facts.csv")
    rows: list[dict[str, str]] = []
    published: dict[tuple[str, str], float] = {}
    for f in facts:
        level = MEASURE_TO_LEVEL.get(f["measure"])
        if level is None:
            continue
        scope = "national" if f["scope"] == "national" else f["department_code"]
        basis = "derived" if f["basis"].startswith("derived") else "published"
        rows.append(
            {
                "year": f["year"],
                "scope": scope,
                "level": level,
                "amount_bn_vnd": f["amount_bn_vnd"],
                "status": "official",
                "basis": basis,
                "source": f["source"],
            }
        )
        if int(f["year"]) == ALLOCATED_YEAR:
            published[(scope, level)] = float(f["amount_bn_vnd"])
    national = int(published[("national", "estimate")])
    fixed = {code: published[(code, "estimate")] for code in (d.code for d in departments()) if (code, "estimate") in published}
    for code, level in ESTIMATE_FROM_OTHER_LEVEL.items():
        fixed[code] = published[(code, level)]
        rows.append(
            {
                "year": str(ALLOCATED_YEAR),
                "scope": code,
                "level": "estimate",
                "amount_bn_vnd": f"{fixed[code]:g}",
                "status": "illustrative",
                "basis": f"illustrative: the published {level} figure used as the estimate",
                "source": "customs-kpi allocation",
            }
        )
    rest = _largest_remainder(national - round(sum(fixed.values())), ILLUSTRATIVE_WEIGHTS)
    for code in sorted(rest):
        rows.append(
            {
                "year": str(ALLOCATED_YEAR),
                "scope": code,
                "level": "estimate",
                "amount_bn_vnd": str(rest[code]),
                "status": "illustrative",
                "basis": "illustrative allocation of the national estimate",
                "source": "customs-kpi allocation",
            }
        )
    return rows


def render_targets_csv() -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(default_target_rows())
    return out.getvalue()
