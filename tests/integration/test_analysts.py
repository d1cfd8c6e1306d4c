"""Analysts query the lake while the consumer ingests: whole publications only, bounded staleness,
every output format; once the consumer stops, the lake equals the database."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import polars as pl

from streams.cli.output import cell
from streams.config import lake_for
from streams.read import open_sandbox, run_query
from tests.support.services import ROOT, ConsumerProcess, cli
from tests.support.services import sent as sent_count

EVENTS = "(SELECT count(*) FROM declarations) + (SELECT count(*) FROM revenue) + (SELECT count(*) FROM seizures)"
# Whole publications only: the events the publications say they appended are the rows there are.
INVARIANT = f"SELECT (SELECT coalesce(sum(events), 0) FROM lake_publications) AS published, {EVENTS} AS events, " + (
    "(SELECT max(published_at) FROM lake_publications) AS published_at"
)
TOTALS = (
    f"SELECT {EVENTS}, (SELECT sum(amount_vnd) FROM revenue), (SELECT count(*) FROM rejects), "
    "(SELECT sum(amount_vnd) FROM agg_revenue_day), (SELECT count(*) FROM departments)"
)


def test_queries_during_ingestion_see_whole_batches(bootstrap: str, tmp_path: Path) -> None:
    """While the consumer ingests, a second process queries the lake over and over: every query sees
    whole publications only, each says when it was published, and nothing goes backwards. The
    queries go on until the producer is done and the lake holds everything, however long that
    takes on this machine (how fast the lake follows is a benchmark: docs/BENCHMARKS.md)."""
    db = tmp_path / "live.duckdb"
    consumer = ConsumerProcess(bootstrap, db, tmp_path / "c.log", "--publish-every", "1", "--max-poll-records", "500").start()
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
        stdout=open(tmp_path / "producer.log", "wb"),  # noqa: SIM115
        stderr=subprocess.STDOUT,
        cwd=ROOT,
    )
    try:
        seen = _query_while_ingesting(db, consumer, producer, tmp_path / "producer.log")
        assert producer.wait(timeout=120) == 0
    finally:
        producer.kill()
    assert consumer.stop() == 0
    published_at = [row[2] for row in seen]
    events = [row[1] for row in seen]
    assert None not in published_at  # every query could say how old its data was
    assert published_at == sorted(published_at) and events == sorted(events)  # nothing went backwards
    # The data moved while we read it: several publications seen mid-stream, then everything.
    assert len({n for n in events if 0 < n < events[-1]}) >= 2, events
    lake, live = _read(db, lake_for(db)), _read(db, None)  # the consumer stopped: its last publication holds everything
    assert lake == live and lake[0] == events[-1]


def _read(db: Path, lake: object) -> tuple:  # type: ignore[type-arg]
    con, source = open_sandbox(db, lake)  # type: ignore[arg-type]
    try:
        assert source.live == (lake is None)
        return run_query(con, source, TOTALS).frame.row(0)
    finally:
        con.close()


def _query_while_ingesting(
    db: Path, consumer: ConsumerProcess, producer: subprocess.Popen[bytes], producer_log: Path
) -> list[tuple[int, int, datetime]]:
    """Like a notebook: one connection, a query every 0.25 s (each its own transaction, so each sees
    the lake's latest publication); a new connection every tenth query, as a new reader would.
    Until the producer has finished, the consumer has handled all it sent, and the lake holds
    every event the consumer accepted (the deadline is for a real failure only)."""
    seen: list[tuple[int, int, datetime]] = []
    lake = lake_for(db)
    deadline = time.monotonic() + 240
    sent: int | None = None
    accepted = -1.0
    con = None
    while time.monotonic() < deadline:
        if con is None or len(seen) % 10 == 0:
            if con is not None:
                con.close()
            con, source = open_sandbox(db, lake)  # the consumer holds the file: this is the lake
            assert not source.live
        published, events, published_at = run_query(con, source, INVARIANT).frame.row(0)
        assert published == events  # a half-written publication would break this
        seen.append((published, events, published_at))
        if sent is None and producer.poll() is not None:
            sent = sent_count(producer_log.read_text())
        if sent is not None:
            samples = consumer.samples()
            records = {labels: v for (name, labels), v in samples.items() if name == "customs_kpi_records_total"}
            handled = sum(records.values())
            accepted = sum(v for labels, v in records.items() if ("outcome", "accepted") in labels)
            if handled >= sent and events == accepted:
                break
        time.sleep(0.25)
    if con is not None:
        con.close()
    assert sent is not None and seen[-1][1] == accepted, f"the lake had {seen[-1][1]} of {accepted} accepted events after 240 s"
    return seen


def test_sql_and_export_commands(bootstrap: str, tmp_path: Path) -> None:
    """`customs-kpi sql` prints tables and writes CSV, JSON and Parquet; `export` writes a view; hostile SQL exits 5."""
    db = tmp_path / "c.duckdb"
    produced = cli("produce", "simulate", "-b", bootstrap, "--start", "2021-01-01", "--end", "2021-01-05", "--events-per-day", "200")
    consumer = ConsumerProcess(bootstrap, db, tmp_path / "c.log", "--publish-every", "0.5").start()
    consumer.wait_for_records(sent_count(produced.stdout))
    during = cli("sql", "--db", str(db), "SELECT count(*) AS n FROM revenue", "--format", "csv")
    assert "read the lake sqlite:" in during.stderr and "s ago" in during.stderr
    assert consumer.stop() == 0
    count = int(cli("sql", "--db", str(db), "SELECT count(*) AS n FROM revenue", "--format", "csv").stdout.splitlines()[1])
    assert count > 0
    first = "SELECT department_code, sum(net_vnd) AS net_vnd FROM revenue_monthly GROUP BY 1 ORDER BY 1 LIMIT 1"
    exact = int(cli("sql", "--db", str(db), first, "--format", "csv").stdout.splitlines()[1].split(",")[1])
    table = cli("sql", "--db", str(db), first)  # the terminal's form: billions of đồng
    assert "dept" in table.stdout and "01" in table.stdout and "read the lake" in table.stderr
    assert cell("net_vnd", exact) in table.stdout and "billions of đồng" in table.stdout
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
