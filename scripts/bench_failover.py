"""Benchmark: a replica pair's failover, measured.

Starts its own broker (the project's launcher) and PostgreSQL (Debian's package, as the tests do),
then two `customs-kpi consume --replica` processes sharing one lake (PostgreSQL catalog), and sends
revenue events at --rate a second. A reader process polls the lake every 0.25 s and notes when each
event first shows there. After a warm-up, the leader is killed with SIGKILL --kills times, --every
seconds apart (restarted each time as the follower). Then the sending stops and the lake drains.

Figures:
- takeover: from the kill to the new leader's first publication (its `published_at` in the lake);
- lake freshness: visible in the lake minus produced, p50 / p99 / max, for the events produced
  from 5 s before to 30 s after a kill, and for the others (steady);
- the lake at the end: every event once (count, distinct ids, sum against what was sent).

Usage:
    .venv/bin/python scripts/bench_failover.py [--rate 200] [--kills 3] [--every 25] [--output docs/benchmarks/failover.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kafka import KafkaProducer  # noqa: E402
from scripts.results import machine, record  # noqa: E402

from streams.config import KafkaConnection  # noqa: E402
from streams.kafka import broker  # noqa: E402
from streams.kafka.topics import ensure_topics  # noqa: E402
from tests.support.factories import encode, revenue  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.postgres import Postgres  # noqa: E402
from tests.support.services import ConsumerProcess, sample  # noqa: E402

READER = """
import json, sys, time, duckdb
from streams.lake import load_extensions
con = duckdb.connect(); load_extensions(con, "ducklake", "postgres")
con.execute(f"ATTACH 'ducklake:{sys.argv[1]}' AS lake (READ_ONLY)")
seen = set()
stop = sys.argv[2]
import os
while not os.path.exists(stop):
    con.execute("SELECT 1")  # a new snapshot of the catalog at each poll
    ids = [r[0] for r in con.execute("SELECT event_id FROM lake.revenue").fetchall()]
    now = time.time()
    for i in ids:
        if i not in seen:
            seen.add(i)
            print(i, now, flush=True)
    time.sleep(0.25)
"""


class Sender(threading.Thread):
    def __init__(self, bootstrap: str, rate: int) -> None:
        super().__init__(daemon=True)
        self.bootstrap, self.rate = bootstrap, rate
        self.produced: dict[str, float] = {}
        self.total = 0
        self.stop = threading.Event()

    def run(self) -> None:
        producer = KafkaProducer(bootstrap_servers=self.bootstrap, acks="all", linger_ms=5)
        i = 0
        start = time.monotonic()
        while not self.stop.is_set():
            due = start + i / self.rate
            if due > time.monotonic():
                time.sleep(due - time.monotonic())
            event_id = f"fo-{i}"
            producer.send("customs.revenue", value=encode(revenue(event_id=event_id, amount_vnd=1_000_000 + i)), partition=i % 6)
            self.produced[event_id] = time.time()
            self.total += 1_000_000 + i
            i += 1
        producer.flush()
        producer.close()


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "events": len(values),
        "p50_s": round(statistics.median(values), 2),
        "p99_s": round(percentile(values, 99), 2),
        "max_s": round(max(values), 2),
    }


def leader(replicas: dict[str, ConsumerProcess]) -> str | None:
    found = []
    for name, replica in replicas.items():
        if replica.process is None or replica.process.poll() is not None:
            continue
        try:
            if sample(replica.samples(), "customs_kpi_lake_leader", replica=name) == 1:
                found.append(name)
        except OSError:
            continue
    return found[0] if len(found) == 1 else None


PROBE = """
import json, sys, duckdb
from streams.lake import load_extensions
con = duckdb.connect(); load_extensions(con, "ducklake", "postgres")
con.execute(f"ATTACH 'ducklake:{sys.argv[1]}' AS lake (READ_ONLY)")
print(json.dumps(con.execute(sys.argv[2], json.loads(sys.argv[3])).fetchall()))
"""


def in_lake(catalog: str, sql: str, *params: object) -> list[list[object]]:
    """A query's rows in the lake, asked from a process of its own (as any reader would)."""
    out = subprocess.run(
        [sys.executable, "-c", PROBE, catalog, sql, json.dumps(params)], capture_output=True, text=True, cwd=ROOT, check=True
    )
    found: list[list[object]] = json.loads(out.stdout)
    return found


def first_publication_after(catalog: str, epoch_above: int) -> float | None:
    """When the first publication under an epoch above `epoch_above` was made (None: not yet)."""
    sql = "SELECT epoch(min(published_at)) FROM lake.lake_publications WHERE epoch > ?"
    at = in_lake(catalog, sql, epoch_above)[0][0]
    return None if at is None else float(str(at))


def current_epoch(catalog: str) -> int:
    return int(str(in_lake(catalog, "SELECT coalesce(max(epoch), 0) FROM lake.lake_leader")[0][0]))


def wait(condition, timeout: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while (value := condition()) is None or value is False:
        if time.monotonic() > deadline:
            raise SystemExit(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(0.1)
    return value


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=200, help="events a second")
    parser.add_argument("--kills", type=int, default=3)
    parser.add_argument("--every", type=float, default=25.0, help="seconds between kills")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks" / "failover.json")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="customs-failover-"))
    os.chmod(work, 0o755)  # the postgres user reads its folder inside
    state = broker.start(work / "kafka", free_port(pair=True), heap_mb=512, timeout=180)
    pg = Postgres(work / "pg").start()
    os.environ["PGPASSWORD"] = pg.password
    catalog = f"postgres:{pg.conninfo}"
    common = ("--lake", catalog, "--lake-data", str(work / "lake-data"), "--publish-every", "1", "--leader-group", "bench-failover")
    replicas: dict[str, ConsumerProcess] = {}
    reader = None
    stop_file = work / "stop-reader"
    try:
        ensure_topics(KafkaConnection(state.bootstrap), 6)

        def start(name: str) -> None:
            (work / name).mkdir(exist_ok=True)
            replicas[name] = ConsumerProcess(
                state.bootstrap, work / name / "customs.duckdb", work / f"{name}.log", "--replica", name, *common
            ).start()

        for name in ("a", "b"):
            start(name)
        sender = Sender(state.bootstrap, args.rate)
        sender.start()
        reader = subprocess.Popen([sys.executable, "-c", READER, catalog, str(stop_file)], stdout=subprocess.PIPE, text=True, cwd=ROOT)
        seen: dict[str, float] = {}

        def read() -> None:
            assert reader.stdout is not None
            for line in reader.stdout:
                event_id, at = line.split()
                seen[event_id] = float(at)

        threading.Thread(target=read, daemon=True).start()
        time.sleep(args.every)
        kills: list[float] = []
        takeovers: list[float] = []
        for _ in range(args.kills):
            was = wait(lambda: leader(replicas), 60, "a leader")
            epoch = current_epoch(catalog)
            killed_at = time.time()
            replicas[was].kill()
            kills.append(killed_at)
            published = wait(lambda epoch=epoch: first_publication_after(catalog, epoch), 60, "the new leader's first publication")
            takeovers.append(round(published - killed_at, 2))
            print(f"killed {was}; takeover (kill -> first publication of the new leader) {takeovers[-1]:.2f} s", flush=True)
            start(was)
            time.sleep(args.every)
        sender.stop.set()
        sender.join()
        wait(lambda: len(seen) >= len(sender.produced) or None, 120, "every event in the lake")
        stop_file.touch()

        near: list[float] = []
        steady: list[float] = []
        for event_id, produced in sender.produced.items():
            delay = seen[event_id] - produced
            (near if any(k - 5 <= produced <= k + 30 for k in kills) else steady).append(delay)
        rows, distinct, total = (
            int(str(x)) for x in in_lake(catalog, "SELECT count(*), count(DISTINCT event_id), sum(amount_vnd) FROM lake.revenue")[0]
        )
        result = {
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "machine": machine(),
            "rate_per_s": args.rate,
            "kills": args.kills,
            "publish_every_s": 1,
            "leader_session_timeout_s": 6,
            "takeover_s": takeovers,
            "freshness_around_kills": summary(near),
            "freshness_steady": summary(steady),
            "lake": {"sent": len(sender.produced), "rows": rows, "distinct": distinct, "exact_sum": total == sender.total},
        }
        print(json.dumps(result, indent=2))
        record(args.output, result)
        return 0 if rows == distinct == len(sender.produced) and total == sender.total else 1
    except SystemExit:
        for name in replicas:
            print(f"--- {name}.log (end) ---\n" + (work / f"{name}.log").read_text()[-3000:])
        if os.environ.get("BENCH_KEEP"):
            print(f"kept {work}; stopping in 600 s")
            time.sleep(600)
        raise
    finally:
        stop_file.touch()
        if reader is not None:
            reader.terminate()
        for replica in replicas.values():
            if replica.process is not None and replica.process.poll() is None:
                replica.process.send_signal(signal.SIGTERM)
                replica.process.wait(30)
        pg.stop()
        broker.stop(work / "kafka")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
