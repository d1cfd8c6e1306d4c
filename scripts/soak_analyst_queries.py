"""Soak check: query the snapshot every second while the consumer ingests a simulated stream.

Starts its own broker, consumer (--snapshot-every 10) and simulator; for --minutes it opens the
snapshot from this (second) process once a second and checks that offsets match rows (no partial
batch) and how old the snapshot is. Prints the figures. Usage:
  .venv/bin/python scripts/soak_analyst_queries.py --minutes 3
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from streams.kafka import broker  # noqa: E402
from streams.kafka.broker import free_port  # noqa: E402
from streams.store.sandbox import QueryRefused, open_sandbox, run_query  # noqa: E402
from streams.store.snapshot import snapshot_path  # noqa: E402

CHECK = (
    "SELECT (SELECT coalesce(sum(next_offset), 0) FROM consumer_offsets), "
    "(SELECT count(*) FROM declarations) + (SELECT count(*) FROM revenue) + (SELECT count(*) FROM seizures) "
    "+ (SELECT count(*) FROM rejects) + (SELECT count(*) FROM duplicates), (SELECT taken_at FROM snapshot_info)"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=3.0)
    parser.add_argument("--snapshot-every", type=float, default=10.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        state = broker.start(Path(tmp) / "kafka", free_port(pair=True))
        db = Path(tmp) / "soak.duckdb"
        run = [sys.executable, "-m", "streams"]
        consumer = subprocess.Popen(
            [
                *run,
                "consume",
                "-b",
                state.bootstrap,
                "--db",
                str(db),
                "--metrics-port",
                str(free_port()),
                "--snapshot-every",
                str(args.snapshot_every),
            ],
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        simulator = subprocess.Popen(
            [*run, "produce", "simulate", "-b", state.bootstrap, "--days-per-second", "2", "--events-per-day", "1500"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
        )
        queries = failures = partial = 0
        ages: list[float] = []
        first = last = 0
        try:
            end = time.monotonic() + args.minutes * 60
            while time.monotonic() < end:
                time.sleep(1)
                if not snapshot_path(db).exists():
                    continue
                try:
                    con, source = open_sandbox(db)
                    offsets, handled, taken = run_query(con, source, CHECK).frame.row(0)
                    con.close()
                except QueryRefused as exc:
                    failures += 1
                    print("query failed:", exc)
                    continue
                queries += 1
                partial += offsets != handled
                ages.append((datetime.now(UTC) - taken).total_seconds())
                first, last = first or handled, handled
        finally:
            simulator.send_signal(signal.SIGTERM)
            consumer.send_signal(signal.SIGTERM)
            simulator.wait(30)
            consumer.wait(30)
            broker.stop(Path(tmp) / "kafka")
    ages.sort()
    print(f"{queries} queries in {args.minutes:g} min, {failures} failed, {partial} saw a partial batch")
    print(f"rows seen grew from {first} to {last}")
    if ages:
        print(
            f"snapshot age: median {ages[len(ages) // 2]:.1f} s, max {ages[-1]:.1f} s (bound: --snapshot-every {args.snapshot_every:g} "
            "+ one batch + the copy)"
        )


if __name__ == "__main__":
    main()
