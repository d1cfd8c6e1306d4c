"""The project's producers on the real broker: the simulator, the file replay and the demo."""

from __future__ import annotations

import json
import shlex
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import polars as pl
import pytest

from streams.kpi.plan import default_curve
from tests.support.factories import declaration, revenue, seizure
from tests.support.services import ConsumerProcess, cli, free_port, sample

ICT = timezone(timedelta(hours=7))


def test_simulated_stream_gives_pace_metrics_equal_to_the_formulas(bootstrap: str, tmp_path: Path) -> None:
    """With the event clock, /metrics pace, plan and projection equal the contract's formulas recomputed from DuckDB."""
    out = cli(
        "produce",
        "simulate",
        "-b",
        bootstrap,
        "--start",
        "2021-01-01",
        "--end",
        "2021-02-20",
        "--events-per-day",
        "300",
        "--behind",
        "03=0.7",
        "--seed",
        "5",
        "--spread",
        "0",  # every other department exactly on its share: 03 behind by the factor alone
    )
    sent = int(out.stdout.split("sent ")[1].split(",")[0])
    assert sent > 10_000 and "failed 0" in out.stdout
    consumer = ConsumerProcess(bootstrap, tmp_path / "sim.duckdb", tmp_path / "c.log", "--clock", "event").start()
    samples = consumer.wait_for_records(sent)
    assert consumer.stop() == 0

    con = duckdb.connect(str(tmp_path / "sim.duckdb"), read_only=True)
    as_of = con.execute(
        "SELECT max(m) FROM (SELECT max(occurred_at) m FROM revenue UNION ALL SELECT max(occurred_at) FROM declarations "
        "UNION ALL SELECT max(occurred_at) FROM seizures)"
    ).fetchone()[0]
    ytd = dict(
        con.execute(
            "SELECT department_code, sum(CASE kind WHEN 'refund' THEN -amount_vnd ELSE amount_vnd END) FROM revenue "
            "WHERE occurred_at >= '2021-01-01T00:00:00+07:00' AND occurred_at <= ? GROUP BY 1",
            [as_of],
        ).fetchall()
    )
    assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == 0
    con.close()

    local = as_of.astimezone(ICT)
    c = default_curve().cumulative
    month_start = datetime(2021, local.month, 1, tzinfo=ICT)
    month_end = datetime(2021, local.month + 1, 1, tzinfo=ICT)
    prev = c[local.month - 2] if local.month > 1 else 0.0
    share = prev + (c[local.month - 1] - prev) * (as_of - month_start).total_seconds() / (month_end - month_start).total_seconds()
    assert sample(samples, "customs_kpi_as_of_timestamp_seconds", clock="event") == as_of.timestamp()
    for dept, target_bn in (("03", 56_000), ("02", 108_000), ("27", 10_200)):
        assert sample(samples, "customs_revenue_ytd_vnd", department=dept) == ytd[dept]
        assert sample(samples, "customs_revenue_plan_to_date_vnd", department=dept, level="estimate") == pytest.approx(
            target_bn * 1e9 * share
        )
        assert sample(samples, "customs_revenue_pace_ratio", department=dept, level="estimate") == pytest.approx(
            ytd[dept] / (target_bn * 1e9 * share)
        )
        assert sample(samples, "customs_revenue_projected_year_end_vnd", department=dept) == pytest.approx(ytd[dept] / share)
    national = sum(ytd.values())
    assert sample(samples, "customs_revenue_national_pace_ratio", level="estimate") == pytest.approx(national / (315_000e9 * share))
    assert sample(samples, "customs_revenue_national_projected_year_end_vnd") == pytest.approx(national / share)
    # the department made to fall behind is behind the others by about the factor given
    pace_03 = sample(samples, "customs_revenue_pace_ratio", department="03", level="estimate")
    pace_02 = sample(samples, "customs_revenue_pace_ratio", department="02", level="estimate")
    assert pace_03 == pytest.approx(0.7 * pace_02, rel=0.02)


def test_replay_sends_jsonl_csv_and_parquet(bootstrap: str, tmp_path: Path) -> None:
    """`produce replay` routes each event to its topic from three file formats; the consumer stores them all."""
    jsonl = tmp_path / "revenue.jsonl"
    jsonl.write_text("\n".join(json.dumps(revenue(event_id=f"j{i}", amount_vnd=1000 + i)) for i in range(100)) + "\n\n")
    decls = pl.DataFrame([declaration(event_id=f"c{i}") for i in range(40)])
    decls.write_csv(tmp_path / "declarations.csv")
    seizures = pl.DataFrame([seizure(event_id=f"p{i}", goods_value_vnd=10 * i) for i in range(30)])
    seizures.write_parquet(tmp_path / "seizures.parquet")
    out = cli("produce", "replay", "-b", bootstrap, str(jsonl), str(tmp_path / "declarations.csv"), str(tmp_path / "seizures.parquet"))
    assert "sent 170, failed 0" in out.stdout
    consumer = ConsumerProcess(bootstrap, tmp_path / "r.duckdb", tmp_path / "c.log").start()
    samples = consumer.wait_for_records(170)
    assert consumer.stop() == 0
    assert sample(samples, "customs_kpi_records_total", topic="customs.revenue", outcome="accepted") == 100
    assert sample(samples, "customs_kpi_records_total", topic="customs.declarations", outcome="accepted") == 40
    assert sample(samples, "customs_kpi_records_total", topic="customs.seizures", outcome="accepted") == 30
    con = duckdb.connect(str(tmp_path / "r.duckdb"), read_only=True)
    assert con.execute("SELECT sum(amount_vnd) FROM revenue").fetchone()[0] == sum(1000 + i for i in range(100))
    assert con.execute("SELECT min(declaration_no), min(enterprise_tax_code) FROM declarations").fetchone() == (
        "101234567890",
        "0201234567",
    )
    assert con.execute("SELECT sum(goods_value_vnd) FROM seizures").fetchone()[0] == sum(10 * i for i in range(30))
    assert con.execute("SELECT count(*) FROM rejects").fetchone()[0] == 0


def test_replay_reports_unroutable_lines(bootstrap: str, tmp_path: Path) -> None:
    """Lines without a known event_type are counted as failed, and the exit code says so."""
    path = tmp_path / "mixed.jsonl"
    path.write_text(json.dumps(revenue()) + "\n" + '{"event_type": "parcel"}\n')
    out = cli("produce", "replay", "-b", bootstrap, str(path), check=False)
    assert out.returncode == 1
    assert "sent 1, failed 1" in out.stdout


def test_demo_runs_end_to_end(tmp_path: Path) -> None:
    """`customs-kpi demo` starts its own broker, consumer and simulator, shows the table and stops everything."""
    port, metrics_port = free_port(pair=True), free_port()
    out = cli(
        "demo",
        "--workdir",
        str(tmp_path / "demo"),
        "--port",
        str(port),
        "--metrics-port",
        str(metrics_port),
        "--start",
        "2021-01-01",
        "--end",
        "2021-01-11",
        "--days-per-second",
        "5",
        "--events-per-day",
        "200",
        "--exit-when-done",
        timeout=300,
    )
    assert "Revenue progress at 2021-01-10" in out.stdout
    assert "National" in out.stdout
    assert f"metrics: http://127.0.0.1:{metrics_port}/metrics" in out.stdout
    assert "stamina" not in out.stdout + out.stderr  # no bare retry lines while the broker starts
    assert any(line.startswith("stopped. The DuckDB file stays at ") for line in out.stdout.splitlines())  # on a line of its own
    # The lines to copy at the end work as printed (here `python -m streams` stands for customs-kpi).
    db = tmp_path / "demo" / "customs.duckdb"
    copied = [shlex.split(line.removeprefix("  $ ")) for line in out.stdout.splitlines() if line.startswith("  $ ")]
    assert copied == [
        ["customs-kpi", "query", "behind_pace", "--db", str(db)],
        ["customs-kpi", "sql", "SELECT count(*) FROM revenue", "--db", str(db)],
        ["customs-kpi", "report", "--as-of", "2021-12-31", "--output", "briefing.pdf", "--db", str(db)],
    ], out.stdout
    assert "Hải Phòng" in cli(*copied[0][1:]).stdout  # made to fall behind (85%) by the demo's default
    assert cli(*copied[1][1:], "--format", "csv").stdout.splitlines()[0] == "count_star()"
    status = cli("kafka", "status", "--data-dir", str(tmp_path / "demo" / "kafka"), check=False)
    assert status.returncode == 1  # the demo stopped the broker it started
    con = duckdb.connect(str(tmp_path / "demo" / "customs.duckdb"), read_only=True)
    days = con.execute("SELECT count(DISTINCT CAST(occurred_at + INTERVAL 7 HOUR AS DATE)) FROM revenue").fetchone()[0]
    assert days == 10
    con.close()
