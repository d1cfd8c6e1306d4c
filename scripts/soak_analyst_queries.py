"""Soak check: reader processes query the analysts' lake every second while the consumer ingests.

Starts its own broker, consumer (--publish-every 5) and simulator (as fast as it can send). For
--minutes, first without readers, then with --readers processes, each attaching the lake read-only
and querying it once a second: whole publications only (the events the publications recorded are
the rows there are), how old the latest publication is, and whether any query failed. Prints the
consumer's ingest rate in both halves (the readers share the machine's cores with it). Usage:
  .venv/bin/python scripts/soak_analyst_queries.py --minutes 4 --readers 5
"""

from __future__ import annotations

import argparse
import json
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streams.config import lake_for  # noqa: E402
from streams.errors import QueryRefused  # noqa: E402
from streams.kafka import broker  # noqa: E402
from streams.read import open_sandbox, run_query  # noqa: E402
from tests.support.ports import free_port  # noqa: E402

CHECK = (
    "SELECT (SELECT coalesce(sum(events), 0) FROM lake_publications), "
    "(SELECT count(*) FROM declarations) + (SELECT count(*) FROM revenue) + (SELECT count(*) FROM seizures), "
    "(SELECT max(published_at) FROM lake_publications)"
)


def reader(db: Path, seconds: float, out: Path) -> None:
    """One reader process: a connection kept open, a query a second."""
    con, source = open_sandbox(db, lake_for(db))
    queries, failures, partial, ages = 0, [], 0, []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        try:
            published, events, at = run_query(con, source, CHECK).frame.row(0)
        except QueryRefused as exc:
            failures.append(str(exc))
            continue
        queries += 1
        partial += published != events
        ages.append((datetime.now(UTC) - at).total_seconds())
        time.sleep(1)
    out.write_text(json.dumps({"queries": queries, "failures": failures, "partial": partial, "ages": ages}))


def records(port: int) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("customs_kpi_records_total{"))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--readers", type=int, default=5)
    parser.add_argument("--reader", nargs=3, help=argparse.SUPPRESS)  # DB SECONDS OUT: run as one reader
    args = parser.parse_args()
    if args.reader:
        reader(Path(args.reader[0]), float(args.reader[1]), Path(args.reader[2]))
        return
    half = args.minutes * 30
    with tempfile.TemporaryDirectory() as tmp:
        state = broker.start(Path(tmp) / "kafka", free_port(pair=True))
        db, port = Path(tmp) / "soak.duckdb", free_port()
        run = [sys.executable, "-m", "streams"]
        consumer = subprocess.Popen(
            [*run, "consume", "-b", state.bootstrap, "--db", str(db), "--metrics-port", str(port)], stderr=subprocess.DEVNULL, cwd=ROOT
        )
        simulator = subprocess.Popen(
            [*run, "produce", "simulate", "-b", state.bootstrap, "--days-per-second", "0", "--events-per-day", "20000"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        try:
            time.sleep(20)  # the consumer joins and the stream is flowing
            start = records(port)
            time.sleep(half)
            alone = (records(port) - start) / half
            outs = [Path(tmp) / f"reader{i}.json" for i in range(args.readers)]
            readers = [subprocess.Popen([sys.executable, __file__, "--reader", str(db), str(half), str(out)], cwd=ROOT) for out in outs]
            start = records(port)
            time.sleep(half)
            shared = (records(port) - start) / half
            for process in readers:
                process.wait(60)
            reports = [json.loads(out.read_text()) for out in outs]
        finally:
            simulator.send_signal(signal.SIGTERM)
            consumer.send_signal(signal.SIGTERM)
            simulator.wait(30)
            consumer.wait(30)
            broker.stop(Path(tmp) / "kafka")
    ages = sorted(a for r in reports for a in r["ages"])
    print(f"consumer: {alone:,.0f} records/s without readers, {shared:,.0f} with {args.readers} ({shared / alone:.0%})")
    print(
        f"{args.readers} readers: {sum(r['queries'] for r in reports)} queries, "
        f"{sum(len(r['failures']) for r in reports)} failed, {sum(r['partial'] for r in reports)} saw a partial publication"
    )
    if ages:
        p50, p99 = ages[len(ages) // 2], ages[int(len(ages) * 0.99)]
        print(f"age of the latest publication: median {p50:.1f} s, p99 {p99:.1f} s, max {ages[-1]:.1f} s")


if __name__ == "__main__":
    main()
