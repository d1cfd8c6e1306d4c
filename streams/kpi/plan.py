"""The plan curve: cumulative month-end shares C1..C12 of the annual target (EVENTS.md).

plan_share(t) itself is computed in SQL only (sql/views/01_plan_share.sql), from these shares."""

from __future__ import annotations

from dataclasses import dataclass

from streams.contract.reference import read_reference_csv

DEFAULT_CURVE_TOTAL_BN = 317090  # 2020 national revenue, the default curve's denominator


@dataclass(frozen=True)
class PlanCurve:
    cumulative: tuple[float, ...]  # C1..C12, C12 = 1

    def __post_init__(self) -> None:
        c = self.cumulative
        if len(c) != 12 or abs(c[-1] - 1.0) > 1e-9 or any(b < a for a, b in zip((0.0, *c), c, strict=False)):
            raise ValueError(f"a plan curve needs 12 non-decreasing cumulative shares ending at 1, got {c}")

    def month_end(self, month: int) -> float:
        """C(month), with C(0) = 0."""
        return 0.0 if month == 0 else self.cumulative[month - 1]


def default_curve() -> PlanCurve:
    """The 2020 national curve, with C8 and C9 interpolated between C7 and C10 as the contract says."""
    rows = {int(r["month"]): r["cumulative_bn_vnd"] for r in read_reference_csv("national_revenue_2020_cumulative.csv")}
    c = {m: float(v) / DEFAULT_CURVE_TOTAL_BN for m, v in rows.items() if v}
    c[8] = c[7] + (c[10] - c[7]) / 3
    c[9] = c[7] + 2 * (c[10] - c[7]) / 3
    return PlanCurve(tuple(c[m] for m in range(1, 13)))
