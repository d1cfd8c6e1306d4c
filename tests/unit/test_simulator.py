"""The simulator: seeded, calibrated to the targets and always contract-valid."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import pytest

from streams.contract import EVENT_TYPES, spec_for_topic
from streams.decode import decode_batch
from streams.decode.batch import RawBatch
from streams.kpi.targets import load_targets
from streams.produce.run import encode
from streams.produce.simulator import SimulationPlan, Simulator

ICT = timezone(timedelta(hours=7))


def _events(**kw):  # type: ignore[no-untyped-def]
    plan = SimulationPlan(
        kw.pop("start", datetime(2021, 1, 1, tzinfo=ICT)),
        kw.pop("end", datetime(2021, 3, 1, tzinfo=ICT)),
        events_per_day=kw.pop("events_per_day", 300),
        **kw,
    )
    return list(Simulator(plan, load_targets()).events())


def _net(events) -> Counter:  # type: ignore[no-untyped-def]
    net: Counter = Counter()
    for e in events:
        if e.topic == "customs.revenue":
            net[e.key] += e.value["amount_vnd"] * (1 if e.value["kind"] == "collection" else -1)
    return net


def test_same_seed_same_events() -> None:
    """Two runs with one seed give identical events and ids; another seed differs."""
    a, b = _events(seed=7), _events(seed=7)
    assert [encode(e) for e in a] == [encode(e) for e in b]
    assert [encode(e) for e in a] != [encode(e) for e in _events(seed=8)]


def test_every_event_passes_the_contract() -> None:
    """The consumer's decoder accepts every simulated event and event_ids are unique."""
    events = _events(end=datetime(2021, 1, 20, tzinfo=ICT))
    by_topic: dict[str, list[bytes]] = {}
    for e in events:
        by_topic.setdefault(e.topic, []).append(encode(e))
    for topic, values in by_topic.items():
        raw = RawBatch(topic, [0] * len(values), list(range(len(values))), [None] * len(values), values)
        batch = decode_batch(spec_for_topic(topic), raw, datetime(2021, 2, 1, tzinfo=UTC))  # type: ignore[arg-type]
        assert batch.rejects.height == 0, batch.rejects.select("reason", "detail").head(3)
    assert len({e.value["event_id"] for e in events}) == len(events)
    assert [e.occurred_at for e in events] == sorted(e.occurred_at for e in events)


def test_a_full_year_reproduces_the_targets() -> None:
    """Net revenue per department over 2021 equals its estimate target (to rounding), nationally 315,000 bn."""
    events = _events(end=datetime(2022, 1, 1, tzinfo=ICT), events_per_day=120)
    net = _net(events)
    targets = {t.scope: t.amount_vnd for t in load_targets().for_year(2021) if t.level == "estimate"}
    assert sum(net.values()) == pytest.approx(315_000e9, rel=1e-9)
    for code, amount in net.items():
        assert amount == pytest.approx(targets[code], rel=1e-6)
    assert any(e.value.get("kind") == "refund" for e in events)


def test_behind_and_silent_departments() -> None:
    """--behind scales a department's revenue; --silent removes its events."""
    normal, slow = _net(_events()), _net(_events(behind={"03": 0.8}, silent=frozenset({"15"})))
    assert slow["03"] == pytest.approx(0.8 * normal["03"], rel=1e-6)
    assert "15" not in slow
    assert slow["02"] == pytest.approx(normal["02"], rel=1e-6)


def test_a_stream_that_stops() -> None:
    """silent_from stops every stream of one department at a moment; the others go on."""
    stop = datetime(2021, 1, 20, 12, tzinfo=ICT)
    events = _events(silent_from={"02": stop})
    last = {}
    for e in events:
        last[e.key] = max(last.get(e.key, e.occurred_at), e.occurred_at)
    assert stop - timedelta(days=1) < last["02"] < stop
    assert last["01"] > datetime(2021, 2, 27, tzinfo=ICT)


def test_tet_month_is_weak() -> None:
    """February 2021 (Tết on 12 Feb) collects less than January."""
    events = _events(end=datetime(2021, 3, 1, tzinfo=ICT))
    by_month: Counter = Counter()
    for e in events:
        if e.topic == "customs.revenue" and e.value["kind"] == "collection":
            by_month[e.occurred_at.astimezone(ICT).month] += e.value["amount_vnd"]
    assert by_month[2] < 0.95 * by_month[1]


def test_declarations_follow_their_lifecycle() -> None:
    """Each declaration is registered once and then at most once cleared or cancelled, later."""
    events = [e.value for e in _events(end=datetime(2021, 1, 10, tzinfo=ICT)) if e.topic == "customs.declarations"]
    by_no: dict[str, list[dict]] = {}
    for v in events:
        by_no.setdefault(v["declaration_no"], []).append(v)
    statuses = Counter(tuple(x["status"] for x in evs) for evs in by_no.values())
    assert set(statuses) <= {("registered",), ("registered", "cleared"), ("registered", "cancelled")}
    assert statuses[("registered", "cleared")] > statuses[("registered", "cancelled")] > 0
    channels = Counter(v["channel"] for v in events if v["status"] == "registered")
    assert channels["green"] > channels["yellow"] > channels["red"] > 0
    assert EVENT_TYPES["declaration"].topic == "customs.declarations"


def test_a_spread_year_is_believable() -> None:
    """With the CLI's spread (0.1), departments end 2021 spread around their targets like published years
    (81.6% to 126%), the same for the same seed; each month is noisy but the year's total is the outcome."""
    plan = SimulationPlan(datetime(2021, 1, 1, tzinfo=ICT), datetime(2022, 1, 1, tzinfo=ICT), spread=0.1, behind={"03": 0.85})
    simulator = Simulator(plan, load_targets())
    outcome = simulator.outcomes(2021)
    assert outcome == Simulator(plan, load_targets()).outcomes(2021)  # seeded
    assert outcome != Simulator(SimulationPlan(plan.start, plan.end, seed=7, spread=0.1), load_targets()).outcomes(2021)
    assert len(outcome) == 35 and all(0.74 <= f <= 1.35 for f in outcome.values())  # clipped at 3 standard deviations
    assert min(outcome.values()) < 0.92 and max(outcome.values()) > 1.08  # a spread like the published one
    assert 8 <= sum(f < 1 for f in outcome.values()) <= 27  # some behind, some ahead
    targets = {t.scope: t.amount_vnd for t in load_targets().for_year(2021) if t.level == "estimate"}
    annual = simulator.annual_net_vnd(2021)
    assert annual["20"] == pytest.approx(targets["20"] * outcome["20"], rel=1e-12)
    assert annual["03"] == pytest.approx(targets["03"] * outcome["03"] * 0.85, rel=1e-12)  # --behind on top
    shares, curve = simulator.department_shares(2021), simulator.month_shares(2021)
    for code in ("02", "03", "15"):
        assert sum(shares[code]) == pytest.approx(1.0, rel=1e-12)
        assert max(abs(s / c - 1) for s, c in zip(shares[code], curve, strict=True)) > 0.03  # months off the curve


def test_no_spread_is_exactly_on_target_and_draws_nothing() -> None:
    """spread 0: every outcome is 1 and the events are those of a plan without the field."""
    plan = SimulationPlan(datetime(2021, 1, 1, tzinfo=ICT), datetime(2021, 1, 10, tzinfo=ICT), events_per_day=200)
    assert set(Simulator(plan, load_targets()).outcomes(2021).values()) == {1.0}
    spread = SimulationPlan(plan.start, plan.end, events_per_day=200, spread=0.1)
    plain, noisy = _net(Simulator(plan, load_targets()).events()), _net(Simulator(spread, load_targets()).events())
    assert plain != noisy and set(plain) == set(noisy)
