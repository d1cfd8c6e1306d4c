"""The metrics endpoint's values, from a real DuckDB file, against the contract's formulas."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from streams.config import ConsumerSettings, KafkaConnection
from streams.consume.runner import build_registry
from streams.kpi.plan import default_curve
from streams.store import open_store
from tests.support.kpi import AS_OF, ICT, kpi_registry


def test_revenue_metrics_match_the_formulas(tmp_path: Path) -> None:
    """ytd, plan, pace and projection at as_of equal the contract's formulas for Hai Phong and nationally."""
    registry, _ = kpi_registry(tmp_path)
    v = registry.get_sample_value
    curve = default_curve().cumulative
    share = curve[1] + (curve[2] - curve[1]) * (9.5 * 86400) / (31 * 86400)
    ytd_03 = 5_000_000_000_000 - 200_000_000_000
    assert v("customs_revenue_ytd_vnd", {"department": "03"}) == ytd_03
    assert v("customs_revenue_ytd_vnd", {"department": "15"}) == 300_000_000_000
    assert v("customs_revenue_ytd_vnd", {"department": "01"}) == 0
    assert v("customs_revenue_target_vnd", {"department": "03", "level": "assigned"}) == 56_000e9
    assert v("customs_revenue_plan_to_date_vnd", {"department": "03", "level": "assigned"}) == pytest.approx(56_000e9 * share)
    assert v("customs_revenue_pace_ratio", {"department": "03", "level": "assigned"}) == pytest.approx(ytd_03 / (56_000e9 * share))
    assert v("customs_revenue_projected_year_end_vnd", {"department": "03"}) == pytest.approx(ytd_03 / share)
    national = ytd_03 + 300_000_000_000
    assert v("customs_revenue_national_target_vnd", {"level": "estimate"}) == 315_000e9
    assert v("customs_revenue_national_plan_to_date_vnd", {"level": "striving"}) == pytest.approx(330_750e9 * share)
    assert v("customs_revenue_national_pace_ratio", {"level": "estimate"}) == pytest.approx(national / (315_000e9 * share))
    assert v("customs_revenue_national_projected_year_end_vnd", {}) == pytest.approx(national / share)
    assert v("customs_revenue_pace_ratio", {"department": "01", "level": "assigned"}) is None  # no such target
    # 15's revenue of 31 December 2020 is last year, but after the same period (1 January to 10 March 2020): no series
    assert v("customs_revenue_same_period_last_year_vnd", {"department": "15"}) is None


def test_counters_are_all_time_totals(tmp_path: Path) -> None:
    """Collected, refunded, declarations and seizures count everything stored."""
    registry, _ = kpi_registry(tmp_path)
    v = registry.get_sample_value
    assert v("customs_revenue_collected_vnd_total", {"department": "03"}) == 5_000_000_000_011
    assert v("customs_revenue_refunded_vnd_total", {"department": "03"}) == 200_000_000_000
    assert v("customs_revenue_collected_vnd_total", {"department": "15"}) == 300_007_000_000
    assert v("customs_revenue_collected_vnd_total", {"department": "61"}) == 0
    assert v("customs_declarations_total", {"department": "03", "flow": "import", "channel": "red"}) == 2  # registered only
    assert v("customs_declarations_total", {"department": "15", "flow": "export", "channel": "green"}) == 1
    assert v("customs_seizures_total", {"department": "03", "category": "drugs"}) == 1
    assert v("customs_seizure_goods_value_vnd_total", {"department": "03", "category": "smuggling"}) == 100
    assert v("customs_kpi_records_total", {"topic": "customs.revenue", "outcome": "accepted"}) == 5
    assert v("customs_kpi_rejects_total", {"topic": "customs.seizures", "reason": "invalid_json"}) == 1
    assert (
        v("customs_last_event_timestamp_seconds", {"department": "03", "stream": "revenue"})
        == datetime(2021, 3, 10, 5, 0, 1, tzinfo=UTC).timestamp()
    )


def test_tax_types_release_times_prosecutions_and_reporting_period(tmp_path: Path) -> None:
    """The additions beyond the contract's names: by tax type, the release-time histogram, prosecutions, period cases."""
    registry, _ = kpi_registry(tmp_path)
    v = registry.get_sample_value
    assert v("customs_revenue_by_tax_type_vnd_total", {"department": "03", "tax_type": "vat", "kind": "collection"}) == 5_000_000_000_011
    assert v("customs_revenue_by_tax_type_vnd_total", {"department": "03", "tax_type": "vat", "kind": "refund"}) == 200_000_000_000
    assert v("customs_revenue_by_tax_type_vnd_total", {"department": "15", "tax_type": "import_duty", "kind": "collection"}) == 3e11
    # The factories' default declaration number is registered three times at one instant (d-1 and d-2
    # red, d-3 green) and cleared once: one release of 0 s, paired with the earliest registration by
    # (occurred_at, event_id), d-1, so red; plus one green release of 3.5 h.
    assert v("customs_declaration_release_seconds_bucket", {"channel": "red", "le": "900.0"}) == 1
    assert v("customs_declaration_release_seconds_count", {"channel": "red"}) == 1
    assert v("customs_declaration_release_seconds_sum", {"channel": "red"}) == 0
    assert v("customs_declaration_release_seconds_bucket", {"channel": "green", "le": "7200.0"}) == 0
    assert v("customs_declaration_release_seconds_bucket", {"channel": "green", "le": "14400.0"}) == 1
    assert v("customs_declaration_release_seconds_bucket", {"channel": "green", "le": "+Inf"}) == 1
    assert v("customs_declaration_release_seconds_sum", {"channel": "green"}) == 3.5 * 3600
    assert v("customs_seizures_prosecuted_total", {"department": "03", "category": "drugs"}) == 1
    assert v("customs_seizures_prosecuted_total", {"department": "03", "category": "smuggling"}) == 0
    # as_of 10 March: the period from 16 February; the wildlife case on 15 February is the period before
    assert v("customs_seizures_reporting_period_cases", {"department": "03", "category": "drugs"}) == 1
    assert v("customs_seizures_reporting_period_cases", {"department": "03", "category": "wildlife"}) is None
    assert v("customs_seizures_total", {"department": "03", "category": "wildlife"}) == 1


def test_event_clock_uses_the_latest_event(tmp_path: Path) -> None:
    """With the event clock, as_of is the latest occurred_at accepted."""
    registry, _ = kpi_registry(tmp_path, clock="event")
    latest = datetime(2021, 3, 10, 12, 0, 1, tzinfo=ICT).timestamp()
    assert registry.get_sample_value("customs_kpi_as_of_timestamp_seconds", {"clock": "event"}) == latest
    assert registry.get_sample_value("customs_revenue_ytd_vnd", {"department": "03"}) == 5_000_000_000_000 - 200_000_000_000 + 11


def test_values_survive_reopening_the_database(tmp_path: Path) -> None:
    """A new process (a fresh registry on the same file) exposes the same totals."""
    _, store = kpi_registry(tmp_path)
    store.close()
    again = open_store(tmp_path / "db.duckdb")
    fresh, _ = build_registry(
        again,
        ConsumerSettings(kafka=KafkaConnection("127.0.0.1:1"), db_path=tmp_path / "db.duckdb", metrics_port=0),
        lambda: AS_OF.astimezone(UTC),
    )
    assert fresh.get_sample_value("customs_revenue_collected_vnd_total", {"department": "03"}) == 5_000_000_000_011


def test_describe_does_not_query_the_database(tmp_path: Path) -> None:
    """Registering the collector asks for metadata only."""
    from streams.observe.kpi_collector import KpiCollector

    def boom():  # type: ignore[no-untyped-def]
        raise AssertionError("queried during registration")

    registry = CollectorRegistry()
    registry.register(KpiCollector(boom, "wall"))
    assert "customs_revenue_ytd_vnd" in registry._names_to_collectors


def test_the_demo_table_reads_the_metrics_with_vietnamese_names(tmp_path: Path) -> None:
    """The demo's live table, from the exposition text: departments by year to date, short Vietnamese names, the nation last."""
    import io

    from prometheus_client import generate_latest
    from rich.console import Console

    from streams.cli.output import progress_table
    from streams.observe.console import parse, progress

    registry, _ = kpi_registry(tmp_path)
    found = progress(parse(generate_latest(registry).decode()), level="assigned", top=2)
    assert [(r.code, r.name) for r in found.departments] == [("03", "Hải Phòng"), ("15", "Lạng Sơn")]
    assert found.departments[0].ytd == 4_800_000_000_000
    assert found.departments[0].pace == registry.get_sample_value("customs_revenue_pace_ratio", {"department": "03", "level": "assigned"})
    assert found.national.ytd == 5_100_000_000_000
    out = io.StringIO()
    Console(file=out, width=120, color_system=None).print(progress_table(found))
    assert "Hải Phòng" in out.getvalue() and "4,800" in out.getvalue()
