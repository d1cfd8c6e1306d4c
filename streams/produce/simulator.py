"""Synthetic, seeded events for all 35 departments, in event-time order. Every figure is ILLUSTRATIVE.

Revenue follows each department's target for the year (published where it exists, the
illustrative allocation elsewhere) along the seasonal plan curve with a weak Tết month. With a
spread, as real years are, each department ends its year off its target by a seeded factor
(log-normal: spread 0.10 puts 19 in 20 departments between 82% and 122%; published outcomes run
from 81.6% to 126%, reference/revenue_facts.csv) and its months are noisy around the curve (the
year's total unchanged). The mixes come from calibration.py. The same seed always yields the same
events and event_ids.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from streams.contract.reference import departments
from streams.kpi.clock import VIETNAM, local
from streams.kpi.targets import NATIONAL, TargetBook
from streams.produce import calibration as cal

DAY = timedelta(days=1)


@dataclass(frozen=True)
class SimulationPlan:
    start: datetime  # aware; events from here
    end: datetime  # aware; up to (not including) here
    events_per_day: int = 1500  # national, all streams
    seed: int = 2021
    performance: float = 1.0  # national collections relative to the target
    behind: dict[str, float] = field(default_factory=dict)  # department -> factor on its collections
    silent: frozenset[str] = frozenset()  # departments that send nothing
    silent_from: dict[str, datetime] = field(default_factory=dict)  # department -> its streams stop here
    spread: float = 0.0  # sd of log(a department's year / its target), also of its months; 0 = exactly on target


@dataclass(frozen=True)
class SimEvent:
    occurred_at: datetime
    topic: str
    key: str
    value: dict[str, object]


def _pick(rng: random.Random, weights: dict[str, float]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _rfc3339(t: datetime) -> str:
    return t.astimezone(VIETNAM).isoformat(timespec="seconds")


class Simulator:
    def __init__(self, plan: SimulationPlan, book: TargetBook) -> None:
        self.plan = plan
        self.book = book
        self.rng = random.Random(plan.seed)
        self.codes = [d.code for d in departments()]
        self._seq = 0
        self._offices = {c: cal.KNOWN_OFFICES.get(c, [f"{c}{s}" for s in ("CA", "CB")]) for c in self.codes}
        self._enterprises = {c: [f"{self.rng.randrange(10**9, 10**10):010d}" for _ in range(60)] for c in self.codes}
        self._enterprise_weights = [1 / (i + 1) for i in range(60)]
        # Outcomes come from a generator of their own: the same seed gives the same events whatever the spread.
        self._fortune = random.Random(f"{plan.seed}-outcomes")
        self._outcomes: dict[int, dict[str, float]] = {}
        self._noise: dict[int, dict[str, list[float]]] = {}

    # -- calibration -------------------------------------------------------
    def annual_net_vnd(self, year: int) -> dict[str, float]:
        """Each department's simulated net revenue for the year."""
        targets = {t.scope: t.amount_vnd for t in self.book.for_year(year) if t.level == "estimate"}
        reference = {t.scope: t.amount_vnd for t in self.book.targets if t.level == "estimate" and t.year == 2021}
        national = targets.get(NATIONAL) or reference[NATIONAL]
        ref_total = sum(v for k, v in reference.items() if k != NATIONAL)
        out = {}
        outcome = self.outcomes(year)
        for code in self.codes:
            base = targets.get(code) or national * reference.get(code, 0) / ref_total
            out[code] = base * self.plan.performance * self.plan.behind.get(code, 1.0) * outcome[code]
        return out

    def outcomes(self, year: int) -> dict[str, float]:
        """Each department's year relative to its target, before --performance and --behind (1.0 without spread)."""
        if year not in self._outcomes:
            s = self.plan.spread
            self._outcomes[year] = {c: math.exp(max(-3 * s, min(3 * s, self._fortune.gauss(0, s)))) if s else 1.0 for c in self.codes}
            self._noise[year] = {c: [math.exp(self._fortune.gauss(0, s)) if s else 1.0 for _ in range(12)] for c in self.codes}
        return self._outcomes[year]

    def month_shares(self, year: int) -> list[float]:
        """Monthly shares of the year's revenue: the plan curve with the year's Tết month weakened."""
        curve = self.book.curve(year, NATIONAL)
        shares = [curve.month_end(m) - curve.month_end(m - 1) for m in range(1, 13)]
        tet = cal.TET.get(year)
        if tet is not None:
            shares[tet.month - 1] *= cal.TET_MONTH_FACTOR
            total = sum(shares)
            shares = [s / total for s in shares]
        return shares

    def department_shares(self, year: int) -> dict[str, list[float]]:
        """month_shares with each department's monthly noise; each department's twelve still sum to 1."""
        shares = self.month_shares(year)
        self.outcomes(year)
        out = {}
        for code in self.codes:
            noisy = [s * n for s, n in zip(shares, self._noise[year][code], strict=True)]
            total = sum(noisy)
            out[code] = [s / total for s in noisy]
        return out

    # -- generation ----------------------------------------------------------
    def events(self) -> Iterator[SimEvent]:
        """All events of the plan, ordered by occurred_at."""
        pending: list[tuple[datetime, int, SimEvent]] = []
        day = local(self.plan.start).replace(hour=0, minute=0, second=0, microsecond=0)
        cache: dict[int, tuple[dict[str, float], dict[str, list[float]]]] = {}
        while day < self.plan.end:
            if day.year not in cache:
                cache[day.year] = (self.annual_net_vnd(day.year), self.department_shares(day.year))
            annual, shares = cache[day.year]
            for event in self._day(day, annual, shares):
                heapq.heappush(pending, (event.occurred_at, self._next(), event))
            day_end = day + DAY
            while pending and pending[0][0] < day_end:
                t, _, event = heapq.heappop(pending)
                stop = self.plan.silent_from.get(event.key)
                if self.plan.start <= t < self.plan.end and (stop is None or t < stop):
                    yield event
            day = day_end

    def _next(self) -> int:
        self._seq += 1
        return self._seq

    def _event_id(self, stream: str) -> str:
        return f"sim{self.plan.seed}-{stream}-{self._next():09d}"

    def _times(self, day: datetime, n: int) -> list[datetime]:
        opening = day + timedelta(hours=7, minutes=30)
        return sorted(opening + timedelta(seconds=self.rng.uniform(0, 10 * 3600)) for _ in range(n))

    def _count(self, expected: float) -> int:
        whole = int(expected)
        return whole + (self.rng.random() < expected - whole)

    def _day(self, day: datetime, annual: dict[str, float], shares: dict[str, list[float]]) -> Iterator[SimEvent]:
        days_in_month = ((day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)).day
        total = sum(annual.values()) or 1.0
        per_day = self.plan.events_per_day
        for code in self.codes:
            if code in self.plan.silent:
                continue
            weight = annual[code] / total
            yield from self._revenue(
                day,
                code,
                annual[code] * shares[code][day.month - 1] / days_in_month,
                per_day * cal.STREAM_SHARES["revenue"] * math.sqrt(weight / 35),
            )
            yield from self._declarations(
                day, code, per_day * cal.STREAM_SHARES["declarations"] / 2 * weight**0.7 / 35**0.3
            )  # 2 events each
            yield from self._seizures(day, code, per_day * cal.STREAM_SHARES["seizures"] / len(self.codes))

    def _common(self, stream: str, event_type: str, code: str, t: datetime) -> dict[str, object]:
        return {
            "event_id": self._event_id(stream),
            "event_type": event_type,
            "schema_version": 1,
            "occurred_at": _rfc3339(t),
            "department_code": code,
            "office_code": self.rng.choice(self._offices[code]),
        }

    def _enterprise(self, code: str) -> str:
        return self.rng.choices(self._enterprises[code], weights=self._enterprise_weights)[0]

    def _revenue(self, day: datetime, code: str, net_vnd: float, expected: float) -> Iterator[SimEvent]:
        n = max(1, self._count(expected))
        gross = net_vnd / (1 - cal.REFUND_SHARE)
        weights = [self.rng.lognormvariate(0, 1) for _ in range(n)]
        scale = gross / sum(weights)
        for t, w in zip(self._times(day, n), weights, strict=True):
            amount = max(1, round(w * scale))
            yield SimEvent(
                t,
                "customs.revenue",
                code,
                {
                    **self._common("revenue", "revenue", code, t),
                    "receipt_no": f"BL{self._seq:010d}",
                    "kind": "collection",
                    "tax_type": _pick(self.rng, cal.TAX_TYPES),
                    "amount_vnd": amount,
                    "enterprise_tax_code": self._enterprise(code),
                },
            )
        refund = round(gross * cal.REFUND_SHARE)
        if refund > 0:
            t = self._times(day, 1)[0]
            yield SimEvent(
                t,
                "customs.revenue",
                code,
                {
                    **self._common("revenue", "revenue", code, t),
                    "receipt_no": f"HT{self._seq:010d}",
                    "kind": "refund",
                    "tax_type": _pick(self.rng, {"vat": 0.8, "import_duty": 0.2}),
                    "amount_vnd": refund,
                    "enterprise_tax_code": self._enterprise(code),
                },
            )

    def _declarations(self, day: datetime, code: str, expected: float) -> Iterator[SimEvent]:
        for t in self._times(day, self._count(expected)):
            flow = "import" if self.rng.random() < cal.IMPORT_SHARE else "export"
            number = f"{10 if flow == 'import' else 30}{self._next():010d}"
            channel = _pick(self.rng, cal.CHANNELS)
            base = {
                "declaration_no": number,
                "type_code": _pick(self.rng, cal.IMPORT_TYPES if flow == "import" else cal.EXPORT_TYPES),
                "flow": flow,
                "enterprise_tax_code": self._enterprise(code),
                "hs_code": self.rng.choice(cal.HS_CODES),
                "customs_value_usd": round(self.rng.lognormvariate(math.log(20000), 1.2), 2),
            }
            registered = self._common("declarations", "declaration", code, t)
            yield SimEvent(t, "customs.declarations", code, {**registered, **base, "status": "registered", "channel": channel})
            if self.rng.random() < cal.CANCEL_SHARE:
                later = t + timedelta(hours=self.rng.uniform(0.5, 6))
                yield SimEvent(
                    later,
                    "customs.declarations",
                    code,
                    {
                        **self._common("declarations", "declaration", code, later),
                        **base,
                        "status": "cancelled",
                        "office_code": registered["office_code"],
                    },
                )
            else:
                hours = self.rng.lognormvariate(math.log(cal.RELEASE_MEDIAN_HOURS[channel]), 0.8)
                later = t + timedelta(hours=hours)
                yield SimEvent(
                    later,
                    "customs.declarations",
                    code,
                    {
                        **self._common("declarations", "declaration", code, later),
                        **base,
                        "status": "cleared",
                        "channel": channel,
                        "office_code": registered["office_code"],
                    },
                )

    def _seizures(self, day: datetime, code: str, expected: float) -> Iterator[SimEvent]:
        for t in self._times(day, self._count(expected)):
            category = _pick(self.rng, cal.SEIZURE_CATEGORIES)
            value = round(self.rng.expovariate(1 / cal.GOODS_VALUE_PER_CASE_VND))
            event = {
                **self._common("seizures", "seizure", code, t),
                "case_id": f"VP{self._seq:09d}",
                "category": category,
                "goods_value_vnd": value,
                "budget_collected_vnd": round(value * cal.BUDGET_PER_CASE_VND / cal.GOODS_VALUE_PER_CASE_VND),
                "prosecuted": self.rng.random() < cal.PROSECUTED_SHARE,
                "transferred": self.rng.random() < cal.TRANSFERRED_SHARE,
                "route": _pick(self.rng, cal.ROUTES),
            }
            if category == "drugs":
                unit = self.rng.choice(list(cal.DRUG_UNITS))
                lo, hi = cal.DRUG_UNITS[unit]
                event |= {"drug_unit": unit, "drug_quantity": round(self.rng.uniform(lo, hi), 2)}
            yield SimEvent(t, "customs.seizures", code, event)
