"""The KPI formulas, which exist once, in SQL (sql/views): plan_share, revenue_ytd, revenue_progress and
national_progress, fed known rows on a real DuckDB file, against the contract's formulas computed here."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from streams.config import ConsumerSettings, KafkaConnection
from streams.consume.runner import build_registry
from streams.contract import EVENT_TYPES
from streams.decode import decode_batch
from streams.kpi.plan import default_curve
from streams.kpi.targets import load_targets
from streams.store import EventStore, open_store, write_reference
from tests.support.factories import raw_batch, revenue
from tests.support.sqlcover import covers

ICT = timezone(timedelta(hours=7))
NOW = datetime(2022, 6, 1, tzinfo=UTC)
REV = EVENT_TYPES["revenue"]
C = default_curve().cumulative


def _store(tmp_path: Path, targets: Path | None = None) -> EventStore:
    store = open_store(tmp_path / "kpi.duckdb")
    write_reference(store, load_targets(targets))
    return store


def _revenue(store: EventStore, events: list[dict]) -> None:  # type: ignore[type-arg]
    batch = decode_batch(REV, raw_batch(REV.topic, events), NOW)
    assert batch.rejects.is_empty()
    store.write_batch([(REV, batch)], {}, NOW)


def _one(store: EventStore, sql: str, *params: object) -> object:
    with store.reader() as con:
        return con.execute(sql, list(params)).fetchall()[0][0]


def _rows(store: EventStore, sql: str, *params: object) -> list[tuple]:  # type: ignore[type-arg]
    with store.reader() as con:
        return con.execute(sql, list(params)).fetchall()


@covers("views/01_plan_share")
def test_plan_share_is_linear_within_the_local_month(tmp_path: Path) -> None:
    """plan_share = C(m-1) + (Cm - C(m-1)) x elapsed fraction of the local month, local midnight to midnight."""
    store = _store(tmp_path)
    share = lambda t: _one(store, "SELECT plan_share(?::TIMESTAMPTZ, 'national')", t)  # noqa: E731
    assert share(datetime(2021, 1, 1, tzinfo=ICT)) == 0.0
    assert share(datetime(2021, 2, 1, tzinfo=ICT)) == pytest.approx(C[0], rel=1e-15)
    assert share(datetime(2021, 2, 15, tzinfo=ICT)) == pytest.approx(C[0] + (C[1] - C[0]) * 14 / 28, rel=1e-15)
    # 31 Dec 2021 17:00 UTC is midnight 1 January 2022 in Vietnam: the new year starts at 0
    assert share(datetime(2021, 12, 31, 17, 0, tzinfo=UTC)) == 0.0
    assert share(datetime(2021, 12, 31, 16, 59, 59, tzinfo=UTC)) == pytest.approx(1 - (1 - C[10]) / (31 * 86400), rel=1e-15)


@covers("views/03_revenue_ytd")
def test_ytd_is_whole_days_from_the_aggregates_and_the_as_of_day_from_rows(tmp_path: Path) -> None:
    """ytd counts the local year up to as_of: last year's last second and as_of's later seconds stay out, refunds subtract."""
    store = _store(tmp_path)
    _revenue(
        store,
        [
            revenue(amount_vnd=7, occurred_at="2020-12-31T16:59:59Z"),  # 23:59:59 on 31 Dec 2020, local
            revenue(amount_vnd=1000, occurred_at="2020-12-31T17:00:00Z"),  # the first instant of 2021, local
            revenue(amount_vnd=200, kind="refund", occurred_at="2021-03-09T23:00:00+07:00"),
            revenue(amount_vnd=30, occurred_at="2021-03-10T08:00:00+07:00"),  # as_of's day, before as_of
            revenue(amount_vnd=4, occurred_at="2021-03-10T12:00:00+07:00"),  # exactly as_of: included
            revenue(amount_vnd=500, occurred_at="2021-03-10T12:00:00.000001+07:00"),  # after as_of
            revenue(department_code="15", office_code="15BB", amount_vnd=9, occurred_at="2021-02-01T00:00:00+07:00"),
        ],
    )
    as_of = datetime(2021, 3, 10, 12, 0, tzinfo=ICT)
    assert _rows(store, "SELECT department_code, ytd_vnd FROM revenue_ytd(?::TIMESTAMPTZ) ORDER BY 1", as_of) == [
        ("03", 1000 - 200 + 30 + 4),
        ("15", 9),
    ]
    # Whole days come from agg_revenue_day, not from the rows: a day present only there counts.
    with store.reader() as con:
        con.execute("INSERT INTO agg_revenue_day VALUES (DATE '2021-03-01', '03', 'vat', 'collection', 1, 100000)")
    assert _rows(store, "SELECT ytd_vnd FROM revenue_ytd(?::TIMESTAMPTZ) WHERE department_code = '03'", as_of) == [(100834,)]


@covers("views/revenue_progress", "views/national_progress")
def test_pace_plan_and_projection_follow_the_contract(tmp_path: Path) -> None:
    """plan_to_date = target x share; pace = ytd / plan; projection = ytd / share; national uses the sum of departments."""
    store = _store(tmp_path)
    _revenue(
        store,
        [
            revenue(amount_vnd=20_000 * 10**9, occurred_at="2021-04-01T09:00:00+07:00"),
            revenue(department_code="15", office_code="15BB", amount_vnd=10**9, occurred_at="2021-04-02T09:00:00+07:00"),
        ],
    )
    as_of = datetime(2021, 5, 20, 12, 0, tzinfo=ICT)
    share = C[3] + (C[4] - C[3]) * (19.5 * 86400) / (31 * 86400)
    rows = _rows(
        store,
        "SELECT level, target_status, ytd_vnd, target_vnd, plan_share, plan_to_date_vnd, pace_ratio, projected_year_end_vnd "
        "FROM revenue_progress(?::TIMESTAMPTZ) WHERE department_code = '03'",
        as_of,
    )
    ytd = 20_000 * 10**9
    assert [r[:4] for r in rows] == [("assigned", "official", ytd, 56_000 * 10**9), ("estimate", "illustrative", ytd, 56_000 * 10**9)]
    for _level, _status, _ytd, target, plan_share, plan, pace, projected in rows:
        assert plan_share == pytest.approx(share, rel=1e-12)
        assert plan == pytest.approx(target * share, rel=1e-12)
        assert pace == pytest.approx(ytd / (target * share), rel=1e-12)
        assert projected == pytest.approx(ytd / share, rel=1e-12)
    national = _rows(
        store, "SELECT level, ytd_vnd, target_vnd, pace_ratio, projected_year_end_vnd FROM national_progress(?::TIMESTAMPTZ)", as_of
    )
    total = ytd + 10**9
    assert national == [
        (
            "estimate",
            total,
            315_000 * 10**9,
            pytest.approx(total / (315_000e9 * share), rel=1e-12),
            pytest.approx(total / share, rel=1e-12),
        ),
        (
            "striving",
            total,
            330_750 * 10**9,
            pytest.approx(total / (330_750e9 * share), rel=1e-12),
            pytest.approx(total / share, rel=1e-12),
        ),
    ]


def test_zero_denominators_give_absent_values(tmp_path: Path) -> None:
    """At the first instant of the year plan_share is 0: plan is 0, pace and projection are NULL (absent on /metrics)."""
    store = _store(tmp_path)
    rows = _rows(
        store,
        "SELECT plan_to_date_vnd, pace_ratio, projected_year_end_vnd FROM revenue_progress(?::TIMESTAMPTZ) WHERE department_code = '03'",
        datetime(2021, 1, 1, tzinfo=ICT),
    )
    assert rows == [(0.0, None, None), (0.0, None, None)]


def test_a_year_without_targets_keeps_ytd_and_projection_only(tmp_path: Path) -> None:
    """With no target for the year there is one row per department, level NULL, and no national level."""
    store = _store(tmp_path)
    _revenue(store, [revenue(amount_vnd=50, occurred_at="2022-01-05T09:00:00+07:00")])
    as_of = datetime(2022, 1, 10, tzinfo=ICT)
    share = C[0] * 9 / 31
    assert _rows(
        store,
        "SELECT level, ytd_vnd, target_vnd, projected_year_end_vnd FROM revenue_progress(?::TIMESTAMPTZ) WHERE department_code = '03'",
        as_of,
    ) == [(None, 50, None, pytest.approx(50 / share, rel=1e-12))]
    assert _rows(store, "SELECT level, ytd_vnd, projected_year_end_vnd FROM national_progress(?::TIMESTAMPTZ)", as_of) == [
        (None, 50, pytest.approx(50 / share, rel=1e-12))
    ]


def test_a_curve_for_a_year_without_targets_gives_the_same_figures_in_sql_and_on_metrics(tmp_path: Path) -> None:
    """A configured 2022 curve with no 2022 target is used for the projection, by SQL and therefore by /metrics."""
    targets = tmp_path / "t.yaml"
    curve = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 0.98, 1]
    targets.write_text(
        "targets:\n  - {year: 2021, scope: national, level: estimate, amount_bn_vnd: 100}\n"
        f"curves:\n  - {{year: 2022, scope: national, cumulative: {curve}}}\n"
    )
    store = _store(tmp_path, targets)
    _revenue(store, [revenue(amount_vnd=600, occurred_at="2022-01-10T09:00:00+07:00")])
    as_of = datetime(2022, 1, 16, 12, 0, tzinfo=ICT)
    share = 0.2 * (15.5 * 86400) / (31 * 86400)
    sql = _one(store, "SELECT projected_year_end_vnd FROM revenue_progress(?::TIMESTAMPTZ) WHERE department_code = '03'", as_of)
    assert sql == pytest.approx(600 / share, rel=1e-12)
    registry, _ = build_registry(
        store,
        ConsumerSettings(kafka=KafkaConnection("127.0.0.1:1"), db_path=tmp_path / "kpi.duckdb", metrics_port=0, targets_file=targets),
        lambda: as_of,
    )
    assert registry.get_sample_value("customs_revenue_projected_year_end_vnd", {"department": "03"}) == sql
    assert registry.get_sample_value("customs_revenue_national_projected_year_end_vnd", {}) == pytest.approx(600 / share, rel=1e-12)
    assert registry.get_sample_value("customs_revenue_national_target_vnd", {"level": "estimate"}) is None  # 2021's, not 2022's


def test_reporting_period_cases_run_from_the_16th_local(tmp_path: Path) -> None:
    """period_cases counts the 16th-to-15th period of as_of up to as_of, in Vietnam time."""
    from tests.support.factories import seizure

    store = _store(tmp_path)
    spec = EVENT_TYPES["seizure"]
    events = [
        seizure(occurred_at="2021-02-15T16:59:59Z"),  # 15 Feb 23:59:59 local: the period before
        seizure(occurred_at="2021-02-15T17:00:00Z"),  # 16 Feb 00:00 local: the first instant of the period
        seizure(occurred_at="2021-03-01T10:00:00+07:00"),
        seizure(occurred_at="2021-03-15T11:00:00+07:00"),  # as_of's day, before as_of
        seizure(occurred_at="2021-03-15T13:00:00+07:00"),  # as_of's day, after as_of
    ]
    store.write_batch([(spec, decode_batch(spec, raw_batch(spec.topic, events), NOW))], {}, NOW)
    with store.reader() as con:
        sql = (Path(__file__).resolve().parents[2] / "sql/metrics/period_cases.sql").read_text()
        cases = con.execute(sql, {"as_of": datetime(2021, 3, 15, 12, 0, tzinfo=ICT)}).fetchall()
        later = con.execute(sql, {"as_of": datetime(2021, 3, 16, 0, 0, tzinfo=ICT)}).fetchall()
    assert cases == [("03", "smuggling", 3)]
    assert later == []  # 16 March starts a new period
    assert _rows(store, "SELECT day, cases FROM agg_seizures_day ORDER BY day") == [
        (date(2021, 2, 15), 1),
        (date(2021, 2, 16), 1),
        (date(2021, 3, 1), 1),
        (date(2021, 3, 15), 2),
    ]
