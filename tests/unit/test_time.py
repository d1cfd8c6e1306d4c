"""Time on a real DuckDB file: late and out-of-order events, the year change in Vietnam time, and
the targets of the new year. The metrics come from the consumer's own registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from streams.config import ConsumerSettings, KafkaConnection
from streams.consume.runner import build_registry
from streams.contract import EVENT_TYPES
from streams.decode import decode_batch
from streams.kpi.plan import default_curve
from streams.kpi.targets import load_targets
from streams.store import EventStore, open_store, write_reference
from tests.support.factories import declaration, raw_batch, revenue

ICT = timezone(timedelta(hours=7))
BN = 10**9


class Clock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at


def _write(store: EventStore, now: datetime, events: list[dict], topic_offset: int, declarations: list[dict] | None = None) -> None:
    """One consumed batch: revenue events (and declarations) at the given offsets."""
    decoded = [
        (EVENT_TYPES["revenue"], decode_batch(EVENT_TYPES["revenue"], raw_batch("customs.revenue", events, first_offset=topic_offset), now))
    ]
    if declarations:
        spec = EVENT_TYPES["declaration"]
        decoded.append((spec, decode_batch(spec, raw_batch(spec.topic, declarations, first_offset=topic_offset), now)))
    counts = store.write_batch(decoded, {("customs.revenue", 0): topic_offset + len(events)}, now)
    assert sum(counts.rejected.values()) == 0, counts.rejected


def _registry(tmp_path: Path, store: EventStore, clock: Clock, targets: Path | None = None) -> CollectorRegistry:
    settings = ConsumerSettings(kafka=KafkaConnection("127.0.0.1:1"), db_path=tmp_path / "db.duckdb", metrics_port=0, targets_file=targets)
    write_reference(store, load_targets(targets))  # what the consumer does on start: /metrics reads them from DuckDB
    registry, _ = build_registry(store, settings, clock)
    return registry


def _rows(store: EventStore, sql: str) -> list[tuple]:
    return store._con.execute(sql).fetchall()


def test_late_and_out_of_order_events_land_in_their_own_day_month_and_year(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.duckdb")
    clock = Clock(datetime(2021, 3, 10, 12, 0, tzinfo=ICT))
    registry = _registry(tmp_path, store, clock)
    v = registry.get_sample_value

    _write(
        store,
        clock.at,
        [
            revenue(event_id="mar-9", amount_vnd=40 * BN, occurred_at="2021-03-09T10:00:00+07:00"),
            revenue(event_id="mar-10", amount_vnd=50 * BN, occurred_at="2021-03-10T09:00:00+07:00"),
        ],
        0,
    )
    assert v("customs_revenue_ytd_vnd", {"department": "03"}) == 90 * BN
    last_before = v("customs_last_event_timestamp_seconds", {"department": "03", "stream": "revenue"})

    # A later batch brings January (late), 1 March (out of order) and the last night of 2020.
    _write(
        store,
        clock.at,
        [
            revenue(event_id="jan-5", amount_vnd=7 * BN, occurred_at="2021-01-05T08:00:00+07:00"),
            revenue(event_id="mar-1", amount_vnd=3 * BN, occurred_at="2021-03-01T00:00:00+07:00"),
            revenue(event_id="dec-31", amount_vnd=11 * BN, occurred_at="2020-12-31T16:59:59Z"),  # 23:59:59 local
            revenue(event_id="feb-28", kind="refund", amount_vnd=2 * BN, occurred_at="2021-02-28T23:59:59+07:00"),
        ],
        2,
    )
    assert v("customs_revenue_ytd_vnd", {"department": "03"}) == (90 + 7 + 3 - 2) * BN  # 2020's is not this year's
    assert v("customs_revenue_collected_vnd_total", {"department": "03"}) == (90 + 7 + 3 + 11) * BN
    assert v("customs_revenue_refunded_vnd_total", {"department": "03"}) == 2 * BN
    # The newest event time does not move back for late events.
    assert v("customs_last_event_timestamp_seconds", {"department": "03", "stream": "revenue"}) == last_before

    assert _rows(store, "SELECT year, month, net_vnd FROM revenue_monthly WHERE department_code = '03'") == [
        (2020, 12, 11 * BN),
        (2021, 1, 7 * BN),
        (2021, 2, -2 * BN),
        (2021, 3, 93 * BN),
    ]
    assert _rows(store, "SELECT CAST(day AS VARCHAR), net_vnd FROM revenue_daily WHERE department_code = '03'") == [
        ("2020-12-31", 11 * BN),
        ("2021-01-05", 7 * BN),
        ("2021-02-28", -2 * BN),
        ("2021-03-01", 3 * BN),
        ("2021-03-09", 40 * BN),
        ("2021-03-10", 50 * BN),
    ]
    # Pace is recomputed from the new ytd: plan share of 10 March 12:00 against Hai Phong's 56,000 bn.
    curve = default_curve().cumulative
    share = curve[1] + (curve[2] - curve[1]) * (9.5 * 86400) / (31 * 86400)
    assert v("customs_revenue_pace_ratio", {"department": "03", "level": "assigned"}) == pytest.approx(98 * BN / (56_000 * BN * share))


def test_the_year_changes_at_midnight_vietnam_time_and_the_new_targets_take_over(tmp_path: Path) -> None:
    targets = tmp_path / "targets.csv"
    targets.write_text(
        "year,scope,level,amount_bn_vnd,status,basis,source\n"
        "2021,national,estimate,315000,illustrative,test,test\n"
        "2021,03,assigned,56000,illustrative,test,test\n"
        "2022,national,estimate,350000,illustrative,test,test\n"
        "2022,03,assigned,60000,illustrative,test,test\n"
    )
    store = open_store(tmp_path / "db.duckdb")
    clock = Clock(datetime(2021, 12, 31, 23, 59, 59, tzinfo=ICT))
    registry = _registry(tmp_path, store, clock, targets)
    v = registry.get_sample_value
    _write(
        store,
        datetime(2022, 1, 1, 1, 0, tzinfo=ICT),
        [
            revenue(event_id="y21", amount_vnd=50_000 * BN, occurred_at="2021-06-30T10:00:00+07:00"),
            revenue(event_id="last", amount_vnd=5 * BN, occurred_at="2021-12-31T23:59:59+07:00"),
            revenue(event_id="first", amount_vnd=7 * BN, occurred_at="2022-01-01T00:00:00+07:00"),
            revenue(event_id="first-utc", amount_vnd=11 * BN, occurred_at="2021-12-31T17:30:00Z"),  # 00:30 on 1 January local
        ],
        0,
        declarations=[
            declaration(event_id="d21", channel="green", occurred_at="2021-12-31T23:00:00+07:00"),
            declaration(event_id="d22", channel="green", occurred_at="2022-01-01T00:10:00+07:00"),
        ],
    )

    # One second before midnight: 2021's money and targets; the plan is all but complete.
    share = 1 - (1 - default_curve().cumulative[10]) / (31 * 86400)
    assert v("customs_revenue_ytd_vnd", {"department": "03"}) == 50_005 * BN
    assert v("customs_revenue_target_vnd", {"department": "03", "level": "assigned"}) == 56_000 * BN
    assert v("customs_revenue_national_target_vnd", {"level": "estimate"}) == 315_000 * BN
    assert v("customs_revenue_pace_ratio", {"department": "03", "level": "assigned"}) == pytest.approx(50_005 / (56_000 * share))
    before = {name: v(name, {"department": "03"}) for name in ("customs_revenue_collected_vnd_total", "customs_revenue_refunded_vnd_total")}
    declared_before = v("customs_declarations_total", {"department": "03", "flow": "import", "channel": "green"})

    # Half past midnight: 2022 starts from its own money and its own targets.
    clock.at = datetime(2022, 1, 1, 0, 30, tzinfo=ICT)
    january_share = default_curve().cumulative[0] * 1800 / (31 * 86400)
    assert v("customs_revenue_ytd_vnd", {"department": "03"}) == 18 * BN
    assert v("customs_revenue_target_vnd", {"department": "03", "level": "assigned"}) == 60_000 * BN
    assert v("customs_revenue_national_target_vnd", {"level": "estimate"}) == 350_000 * BN
    assert v("customs_revenue_plan_to_date_vnd", {"department": "03", "level": "assigned"}) == pytest.approx(60_000 * BN * january_share)
    assert v("customs_revenue_national_pace_ratio", {"level": "estimate"}) == pytest.approx(18 / (350_000 * january_share))
    # Counters are all-time: the year change does not reset them.
    for name, value in before.items():
        assert v(name, {"department": "03"}) == value
    assert v("customs_revenue_collected_vnd_total", {"department": "03"}) == 50_023 * BN
    assert v("customs_declarations_total", {"department": "03", "flow": "import", "channel": "green"}) == declared_before == 2

    assert _rows(store, "SELECT year, month, net_vnd FROM revenue_monthly") == [
        (2021, 6, 50_000 * BN),
        (2021, 12, 5 * BN),
        (2022, 1, 18 * BN),
    ]
    assert _rows(store, "SELECT CAST(day AS VARCHAR), net_vnd FROM revenue_daily WHERE day >= DATE '2021-12-01'") == [
        ("2021-12-31", 5 * BN),
        ("2022-01-01", 18 * BN),
    ]

    # A year with no targets shows no target, plan or pace, rather than last year's.
    clock.at = datetime(2023, 1, 2, 9, 0, tzinfo=ICT)
    assert v("customs_revenue_target_vnd", {"department": "03", "level": "assigned"}) is None
    assert v("customs_revenue_pace_ratio", {"department": "03", "level": "assigned"}) is None
    assert v("customs_revenue_ytd_vnd", {"department": "03"}) == 0


def test_event_clock_follows_the_newest_event_into_the_new_year(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.duckdb")
    settings = ConsumerSettings(kafka=KafkaConnection("127.0.0.1:1"), db_path=tmp_path / "db.duckdb", metrics_port=0, clock="event")
    write_reference(store, load_targets())
    registry, _ = build_registry(store, settings, lambda: datetime(2030, 1, 1, tzinfo=UTC))
    v = registry.get_sample_value
    _write(store, datetime(2022, 1, 2, tzinfo=UTC), [revenue(event_id="a", amount_vnd=9 * BN, occurred_at="2021-12-31T16:59:59Z")], 0)
    assert v("customs_revenue_ytd_vnd", {"department": "03"}) == 9 * BN
    assert v("customs_revenue_national_target_vnd", {"level": "estimate"}) == 315_000 * BN
    # 17:00 UTC on 31 December is midnight in Vietnam: the year of as_of is 2022 now.
    _write(store, datetime(2022, 1, 2, tzinfo=UTC), [revenue(event_id="b", amount_vnd=4 * BN, occurred_at="2021-12-31T17:00:00Z")], 1)
    assert v("customs_revenue_ytd_vnd", {"department": "03"}) == 4 * BN
    assert v("customs_revenue_national_target_vnd", {"level": "estimate"}) is None  # the shipped file has no 2022 targets
    assert v("customs_revenue_collected_vnd_total", {"department": "03"}) == 13 * BN
