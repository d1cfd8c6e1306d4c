"""Analysts query while the consumer ingests: whole batches only, bounded staleness, every output format."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import polars as pl

from streams.store.sandbox import open_sandbox, run_query
from streams.store.snapshot import snapshot_path
from tests.integration.conftest import ROOT, ConsumerProcess, cli

INVARIANT = (
    "SELECT (SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets) AS offsets, "
    "(SELECT count(*) FROM declarations) + (SELECT count(*) FROM revenue) + (SELECT count(*) FROM seizures) "
    "+ (SELECT count(*) FROM rejects) + (SELECT count(*) FROM duplicates) AS handled, "
    "(SELECT taken_at FROM snapshot_info) AS taken_at"
)


def test_queries_during_ingestion_see_whole_batches(bootstrap: str, tmp_path: Path) -> None:
    """For 25 s of ingestion, a second process queries every 0.25 s: offsets always match rows, snapshots stay fresh."""
    db = tmp_path / "live.duckdb"
    consumer = ConsumerProcess(bootstrap, db, tmp_path / "c.log", "--snapshot-every", "1", "--max-poll-records", "500").start()
    producer = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streams",
            "produce",
            "simulate",
            "-b",
            bootstrap,
            "--start",
            "2021-01-01",
            "--end",
            "2021-03-01",
            "--events-per-day",
            "400",
            "--days-per-second",
            "2.5",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=ROOT,
    )
    try:
        seen, ages, growth = _query_while_ingesting(db)
        assert producer.wait(timeout=120) == 0
    finally:
        producer.kill()
    assert consumer.stop() == 0
    assert seen >= 50
    assert max(ages) < 5.0, ages  # documented bound: --snapshot-every + one batch + the copy
    assert growth[-1] > growth[0] >= 0 and growth[-1] > 1000  # the data moved while we read it
    final = open_sandbox(db)  # consumer stopped: the live file, with everything
    assert final[1].live
    offsets, handled, _ = run_query(
        final[0], final[1], INVARIANT.replace(", (SELECT taken_at FROM snapshot_info) AS taken_at", ", 1")
    ).frame.row(0)
    assert offsets == handled > growth[-1] - 1


def _query_while_ingesting(db: Path) -> tuple[int, list[float], list[int]]:
    seen, ages, growth = 0, [], []
    deadline = time.monotonic() + 25
    while time.monotonic() < deadline:
        if not snapshot_path(db).exists():
            time.sleep(0.2)
            continue
        con, source = open_sandbox(db)  # the consumer holds the file: this must be the snapshot
        assert not source.live
        offsets, handled, taken_at = run_query(con, source, INVARIANT).frame.row(0)
        con.close()
        assert offsets == handled  # a half-written batch would break this
        ages.append((datetime.now(UTC) - taken_at).total_seconds())
        growth.append(handled)
        seen += 1
        time.sleep(0.25)
    return seen, ages, growth


def test_sql_and_export_commands(bootstrap: str, tmp_path: Path) -> None:
    """`customs-kpi sql` prints tables and writes CSV, JSON and Parquet; `export` writes a view; hostile SQL exits 5."""
    db = tmp_path / "c.duckdb"
    cli("produce", "simulate", "-b", bootstrap, "--start", "2021-01-01", "--end", "2021-01-05", "--events-per-day", "200")
    consumer = ConsumerProcess(bootstrap, db, tmp_path / "c.log", "--snapshot-every", "0.5").start()
    time.sleep(4)
    during = cli("sql", "--db", str(db), "SELECT count(*) AS n FROM revenue", "--format", "csv")
    assert "read snapshot" in during.stderr and "s ago" in during.stderr
    assert consumer.stop() == 0
    count = int(cli("sql", "--db", str(db), "SELECT count(*) AS n FROM revenue", "--format", "csv").stdout.splitlines()[1])
    assert count > 0
    table = cli("sql", "--db", str(db), "SELECT department_code, sum(net_vnd) AS net FROM revenue_monthly GROUP BY 1 ORDER BY 1 LIMIT 3")
    assert "department_code" in table.stdout and "01" in table.stdout and "data is current" in table.stderr
    out = tmp_path / "m.json"
    cli("sql", "--db", str(db), "SELECT * FROM revenue_monthly", "--format", "json", "--output", str(out))
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sum(r["net_vnd"] for r in rows) == int(
        cli("sql", "--db", str(db), "SELECT sum(net_vnd) FROM revenue_monthly", "--format", "csv").stdout.splitlines()[1]
    )
    parquet = tmp_path / "rev.parquet"
    assert f"wrote {count} rows of revenue" in cli("export", "revenue", "--db", str(db), "--output", str(parquet)).stdout
    assert pl.read_parquet(parquet).height == count
    hostile = cli("sql", "--db", str(db), "COPY revenue TO '/tmp/x.csv'", check=False)
    assert hostile.returncode == 5 and "COPY statements are not allowed" in hostile.stderr
    interactive = cli("query", "behind_pace", "--db", str(db), "--format", "csv")
    assert interactive.stdout.startswith("department_code,department,target_status,ytd_vnd")
