"""Benchmark: the consumer's CPU on a trickle of events, with and without gathering small polls.

A live stream arrives a few records per poll; each batch costs the writer a fixed amount (a
transaction, the aggregates' merges, a decode per topic) whatever its size. For each --batch-wait
this starts `customs-kpi consume` as a process, sends the simulator's events at a steady rate,
scrapes /metrics once a second as Prometheus would (more often than its 15 s), and reports the
consumer's CPU time over a fixed window and the batches it wrote. Starts its own broker.
Usage: .venv/bin/python scripts/bench_trickle.py [--rate 200] [--seconds 20] [--output docs/benchmarks/trickle.json]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from scripts.results import machine, record  # noqa: E402

from streams.config import KafkaConnection  # noqa: E402
from streams.kafka import broker  # noqa: E402
from streams.kafka.topics import ensure_topics  # noqa: E402
from tests.support.ports import free_port  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _metric(port: int, name: str) -> float:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    return 0.0


def run(bootstrap: str, folder: Path, batch_wait: int, rate: float, seconds: float, seed: int) -> dict[str, float]:
    port = free_port()
    db = folder / f"trickle-{batch_wait}.duckdb"
    python = [sys.executable, "-m", "streams"]
    consumer = subprocess.Popen(
        [*python, "consume", "-b", bootstrap, "--db", str(db), "--metrics-port", str(port), "--clock", "event",
         "--batch-wait", str(batch_wait)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    producer = None
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                _metric(port, "customs_kpi_up")
                break
            except OSError:
                if time.monotonic() > deadline or consumer.poll() is not None:
                    raise RuntimeError("the consumer did not serve /metrics") from None
                time.sleep(0.2)
        per_day = 6000
        producer = subprocess.Popen(
            [*python, "produce", "simulate", "-b", bootstrap, "--start", "2021-03-01T12:00", "--end", "2021-12-01",
             "--events-per-day", str(per_day), "--days-per-second", str(rate / per_day), "--seed", str(seed), "--spread", "0"],
            cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        time.sleep(5)  # the producer's start and the first batches
        cpu0, batches0, records0 = (
            _cpu_s(consumer.pid),
            _metric(port, "customs_kpi_batch_records_count"),
            _metric(port, "customs_kpi_batch_records_sum"),
        )
        started = time.monotonic()
        while time.monotonic() - started < seconds:
            _metric(port, "customs_kpi_up")
            time.sleep(1)
        elapsed = time.monotonic() - started
        cpu = _cpu_s(consumer.pid) - cpu0
        batches = _metric(port, "customs_kpi_batch_records_count") - batches0
        records = _metric(port, "customs_kpi_batch_records_sum") - records0
    finally:
        for process in (producer, consumer):
            if process is not None:
                process.terminate()
                process.wait(timeout=60)
    return {
        "batch_wait_ms": batch_wait,
        "seconds": round(elapsed, 1),
        "consumer_cpu_share": round(cpu / elapsed, 3),
        "batches_per_s": round(batches / elapsed, 2),
        "records_per_batch": round(records / batches, 1) if batches else 0.0,
        "records_per_s": round(records / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=200.0, help="the simulator's nominal events per second (its curve sends fewer)")
    parser.add_argument("--seconds", type=float, default=20.0, help="the measured window of each run")
    parser.add_argument("--waits", type=int, nargs="+", default=[0, 500], help="the --batch-wait values compared, in ms")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--output", type=Path, default=ROOT / "docs/benchmarks/trickle.json")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "kafka"
        state = broker.start(data, free_port(pair=True))
        try:
            ensure_topics(KafkaConnection(state.bootstrap))
            for wait in args.waits:
                runs.append(run(state.bootstrap, Path(tmp), wait, args.rate, args.seconds, args.seed))
                r = runs[-1]
                print(
                    f"--batch-wait {wait:>5} ms: consumer CPU {r['consumer_cpu_share']:6.1%} of a core, "
                    f"{r['batches_per_s']:5.1f} batches/s of {r['records_per_batch']:7.1f} records ({r['records_per_s']:.0f} records/s)"
                )
        finally:
            broker.stop(data)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "rate_events_per_s": args.rate,
        "runs": runs,
        "machine": machine(),
    }
    record(args.output, result)


if __name__ == "__main__":
    main()
