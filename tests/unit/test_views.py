"""The curated views of sql/views, fed known rows, give exact results; progress agrees with /metrics."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from streams.contract import EVENT_TYPES
from streams.decode import decode_batch
from streams.kpi.targets import load_targets
from streams.store import open_store, write_reference
from tests.support.factories import declaration, raw_batch, revenue, seizure
from tests.support.sqlcover import covers
from tests.support.stores import load

ICT = timezone(timedelta(hours=7))
NOW = datetime(2022, 6, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = open_store(tmp_path / "db.duckdb")
    write_reference(s, load_targets())
    rev = [
        revenue(
            department_code="03",
            office_code="03CC",
            amount_vnd=1000,
            tax_type="vat",
            enterprise_tax_code="0200000001",
            occurred_at="2021-01-31T23:30:00+07:00",
        ),  # 31 January, local time
        revenue(
            department_code="03",
            office_code="03CC",
            amount_vnd=500,
            tax_type="import_duty",
            enterprise_tax_code="0200000002",
            occurred_at="2021-01-31T17:30:00Z",
        ),  # 1 Feb 00:30 local
        revenue(
            department_code="03",
            office_code="03CC",
            amount_vnd=200,
            kind="refund",
            tax_type="vat",
            enterprise_tax_code="0200000001",
            occurred_at="2021-02-10T10:00:00+07:00",
        ),
        revenue(
            department_code="15",
            office_code="15BB",
            amount_vnd=300,
            tax_type="vat",
            enterprise_tax_code="1500000001",
            occurred_at="2020-02-05T10:00:00+07:00",
        ),  # last year, before the same date
        revenue(
            department_code="15",
            office_code="15BB",
            amount_vnd=400,
            tax_type="vat",
            enterprise_tax_code="1500000001",
            occurred_at="2021-02-05T10:00:00+07:00",
        ),
    ]
    load(s, rev, "revenue")
    decl = [
        declaration(declaration_no="100000000001", office_code="03CC", channel="green", occurred_at="2021-02-01T08:00:00+07:00"),
        declaration(
            declaration_no="100000000001", office_code="03CC", channel="green", status="cleared", occurred_at="2021-02-01T09:00:00+07:00"
        ),
        declaration(declaration_no="100000000002", office_code="03CC", channel="red", occurred_at="2021-02-01T08:00:00+07:00"),
        declaration(
            declaration_no="100000000002", office_code="03CC", channel="red", status="cleared", occurred_at="2021-02-02T08:00:00+07:00"
        ),
        declaration(declaration_no="100000000003", office_code="03CE", channel="green", occurred_at="2021-02-03T08:00:00+07:00"),
        declaration(
            declaration_no="100000000003", office_code="03CE", channel="green", status="cleared", occurred_at="2021-02-03T11:00:00+07:00"
        ),
        declaration(declaration_no="100000000004", office_code="03CE", channel="yellow", occurred_at="2021-02-03T08:00:00+07:00"),
        declaration(declaration_no="100000000004", office_code="03CE", status="cancelled", occurred_at="2021-02-03T09:00:00+07:00"),
    ]
    load(s, [{k: v for k, v in d.items() if not (d["status"] == "cancelled" and k == "channel")} for d in decl], "declaration")
    seiz = [
        seizure(
            category="drugs",
            drug_quantity=2.5,
            drug_unit="kg",
            goods_value_vnd=100,
            budget_collected_vnd=10,
            prosecuted=True,
            occurred_at="2021-01-15T10:00:00+07:00",
        ),  # period ending 15 Jan
        seizure(
            category="drugs",
            drug_quantity=1.5,
            drug_unit="kg",
            goods_value_vnd=50,
            budget_collected_vnd=5,
            occurred_at="2021-01-16T10:00:00+07:00",
        ),  # period ending 15 Feb
        seizure(
            category="drugs",
            drug_quantity=300,
            drug_unit="tablet",
            goods_value_vnd=20,
            budget_collected_vnd=0,
            occurred_at="2021-02-15T16:59:00Z",
        ),  # 15 Feb 23:59 local: period ending 15 Feb
        seizure(category="smuggling", goods_value_vnd=70, budget_collected_vnd=7, occurred_at="2021-02-15T17:00:00Z"),  # 16 Feb local
    ]
    load(s, seiz, "seizure")
    yield s
    s.close()


def q(store, sql: str) -> list[tuple]:  # type: ignore[no-untyped-def]
    with store.reader() as con:
        return con.execute(sql).fetchall()


@covers("views/revenue_monthly", "views/revenue_daily", "views/00_local_time")
def test_revenue_monthly_and_daily_use_vietnam_time(store) -> None:  # type: ignore[no-untyped-def]
    """A receipt at 00:30 on 1 February in Vietnam (31 January UTC) counts in February."""
    assert q(store, "SELECT year, month, department_code, gross_vnd, refunded_vnd, net_vnd FROM revenue_monthly WHERE year = 2021") == [
        (2021, 1, "03", 1000, 0, 1000),
        (2021, 2, "03", 500, 200, 300),
        (2021, 2, "15", 400, 0, 400),
    ]
    assert q(store, "SELECT day, net_vnd FROM revenue_daily WHERE department_code = '03'") == [
        (date(2021, 1, 31), 1000),
        (date(2021, 2, 1), 500),
        (date(2021, 2, 10), -200),
    ]


@covers("views/revenue_by_tax_type", "views/refunds", "views/top_enterprises")
def test_tax_types_refunds_and_top_enterprises(store) -> None:  # type: ignore[no-untyped-def]
    """Revenue splits by tax type, refunds count separately, enterprises rank by net revenue."""
    assert q(store, "SELECT tax_type, sum(net_vnd) FROM revenue_by_tax_type WHERE year = 2021 GROUP BY 1 ORDER BY 1") == [
        ("import_duty", 500),
        ("vat", 1200),
    ]
    assert q(store, "SELECT year, month, department_code, tax_type, refunds, refunded_vnd FROM refunds") == [(2021, 2, "03", "vat", 1, 200)]
    assert q(store, "SELECT enterprise_tax_code, net_vnd, rank FROM top_enterprises WHERE year = 2021") == [
        ("0200000001", 800, 1),
        ("0200000002", 500, 2),
        ("1500000001", 400, 3),
    ]


@covers("views/revenue_year_on_year")
def test_year_on_year(store) -> None:  # type: ignore[no-untyped-def]
    """Net revenue to as_of against the same period of the year before."""
    rows = q(
        store,
        "SELECT department_code, this_year_vnd, last_year_vnd, growth FROM revenue_year_on_year(TIMESTAMPTZ '2021-02-06 00:00:00+07') "
        "WHERE department_code IN ('03', '15')",
    )
    assert rows == [("03", 1500, 0, None), ("15", 400, 300, pytest.approx(400 / 300 - 1))]


@covers(
    "views/declarations_by_channel",
    "views/green_channel_share",
    "views/release_time_by_channel",
    "views/release_time_by_office",
    "views/release_times",
)
def test_declaration_views(store) -> None:  # type: ignore[no-untyped-def]
    """Counts by channel, green share, and release time median and P90 by channel and office."""
    assert q(store, "SELECT channel, sum(declarations) FROM declarations_by_channel GROUP BY 1 ORDER BY 1") == [
        ("green", 2),
        ("red", 1),
        ("yellow", 1),
    ]
    assert q(store, "SELECT declarations, green, red, green_share, red_share FROM green_channel_share") == [(4, 2, 1, 0.5, 0.25)]
    assert q(store, "SELECT channel, cleared, median_hours, p90_hours FROM release_time_by_channel") == [
        ("green", 2, 2.0, pytest.approx(2.8)),
        ("red", 1, 24.0, 24.0),
    ]
    assert q(store, "SELECT office_code, cleared, median_hours FROM release_time_by_office") == [("03CC", 2, 12.5), ("03CE", 1, 3.0)]


@covers("views/seizures_by_period", "views/drug_quantities")
def test_seizure_views_use_16th_to_15th_periods(store) -> None:  # type: ignore[no-untyped-def]
    """Periods end on the 15th (local time); drug quantities stay per unit."""
    assert q(
        store, "SELECT period_end, category, cases, goods_value_vnd, budget_collected_vnd, prosecuted, transferred FROM seizures_by_period"
    ) == [
        (date(2021, 1, 15), "drugs", 1, 100, 10, 1, 1),
        (date(2021, 2, 15), "drugs", 2, 70, 5, 0, 2),
        (date(2021, 3, 15), "smuggling", 1, 70, 7, 0, 1),
    ]
    assert q(store, "SELECT period_end, drug_unit, cases, quantity FROM drug_quantities") == [
        (date(2021, 1, 15), "kg", 1, 2.5),
        (date(2021, 2, 15), "kg", 1, 1.5),
        (date(2021, 2, 15), "tablet", 1, 300.0),
    ]


@covers("views/rejects_by_reason")
def test_rejects_by_reason(tmp_path: Path) -> None:
    """Rejects are counted per local day, topic and reason."""
    s = open_store(tmp_path / "r.duckdb")
    spec = EVENT_TYPES["revenue"]
    s.write_batch([(spec, decode_batch(spec, raw_batch(spec.topic, [b"{", b"[]", b"{"]), NOW))], {}, NOW)
    assert q(s, "SELECT day, source_topic, reason, rejects FROM rejects_by_reason") == [
        (date(2022, 6, 1), "customs.revenue", "invalid_json", 2),
        (date(2022, 6, 1), "customs.revenue", "not_an_object", 1),
    ]
