"""Scale benchmark: the consumer at 1 M, 40 M and 120 M stored events, in one run.

Builds one database through the project's own decode and write path (decode_batch and
EventStore.write_batch; the events are generated in-process by scale_events.py instead of going
through Kafka, for speed). At each size it measures:
- the write rate of fresh batches (write_batch alone; the decode rate beside it), once the index
  has compacted what the build wrote (a real stream is far too slow to leave such a backlog);
- restart: a real `customs-kpi consume` on the file, from its start until /metrics answers;
- scrapes of that consumer's real /metrics endpoint: p50 and p99 of those taken while it drains
  fresh events waiting in a real local Kafka broker (and its drain rate), then of 20 right after
  (idle), then of 20 once its own background work (index compaction, checkpoint) is done (quiet);
- the consumer's resident memory (highest seen, and VmHWM) under --memory-limit;
- the sizes of the DuckDB file and of the index beside it;
- each ready query's time (sql/queries, as_of = the latest event);
- (the analysts' lake is measured by scripts/bench_lake.py).
It checks on /metrics that every event is counted once. Results are printed and written as JSON.

Usage: .venv/bin/python scripts/bench_scale.py [--sizes 1e6,40e6,120e6] [--memory-limit 1GB]
                                              [--workdir var/bench-scale] [--output docs/benchmarks/scale.json]
The events are ILLUSTRATIVE (generated), not official figures.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from kafka import KafkaProducer  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from scale_events import Batch, ScaleFeed  # noqa: E402
from streams.config import KafkaConnection  # noqa: E402
from streams.contract.events import spec_for_topic  # noqa: E402
from streams.decode import decode_batch  # noqa: E402
from streams.decode.batch import RawBatch  # noqa: E402
from streams.kafka import broker  # noqa: E402
from streams.kafka.topics import ensure_topics  # noqa: E402
from streams.kpi.clock import VIETNAM  # noqa: E402
from streams.kpi.targets import load_targets  # noqa: E402
from streams.query import queries_dir, ready_queries  # noqa: E402
from streams.read import latest_event_time, open_sandbox, run_query  # noqa: E402
from streams.store import EventStore, open_store, write_reference  # noqa: E402
from streams.store.state import state_path  # noqa: E402
from tests.support.ports import free_port  # noqa: E402


def status(pid: int | str = "self") -> dict[str, int]:
    """VmRSS and VmHWM of a process, in MB."""
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS", "VmHWM")):
            out[line.split(":")[0]] = int(line.split()[1]) // 1024
    return out


def tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) if path.exists() else 0


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class Writer:
    """The in-process writer: decode_batch and write_batch on generated batches."""

    def __init__(self, db: Path, memory_limit: str, feed: ScaleFeed, batch: int) -> None:
        self.db, self.memory_limit, self.feed, self.batch = db, memory_limit, feed, batch
        self.store: EventStore | None = None
        self.stored = 0

    def open(self) -> float:
        started = time.perf_counter()
        self.store = open_store(self.db, memory_limit=self.memory_limit)
        return time.perf_counter() - started

    def close(self) -> None:
        assert self.store is not None
        self.store.close()
        self.store = None

    def write(self, batch: Batch) -> tuple[float, float]:
        """(decode seconds, write seconds) of one batch."""
        assert self.store is not None
        started = time.perf_counter()
        decoded = []
        for topic, frame in batch.frames.items():
            spec = spec_for_topic(topic)
            assert spec is not None
            raw = RawBatch(
                topic,
                frame["partition"].to_list(),
                frame["offset"].to_list(),
                frame["key"].cast(pl.Binary).to_list(),
                frame["value"].cast(pl.Binary).to_list(),
            )
            decoded.append((spec, decode_batch(spec, raw, batch.until)))
        decoded_at = time.perf_counter()
        # No offsets: these events never were in Kafka, so the consumer must not seek by them.
        counts = self.store.write_batch(decoded, {}, batch.until)
        assert not counts.rejected and not any(counts.duplicates.values()), counts
        self.stored += batch.size
        return decoded_at - started, time.perf_counter() - decoded_at

    def fill(self, target: int) -> None:
        started, last, since = time.monotonic(), time.monotonic(), self.stored
        while self.stored < target:
            self.write(self.feed.next(min(self.batch, target - self.stored)))
            if time.monotonic() - last > 60:
                rate = (self.stored - since) / (time.monotonic() - started)
                print(f"  {self.stored / 1e6:7.2f} M stored, {rate:,.0f} events/s, RSS {status()}", flush=True)
                last = time.monotonic()


class Consumer:
    def __init__(self, db: Path, bootstrap: str, memory_limit: str, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/metrics"
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "streams", "consume", "-b", bootstrap, "--db", str(db), "--metrics-port", str(self.port),
             "--clock", "event", "--publish-every", "0", "--memory-limit", memory_limit],
            stdout=open(log, "ab"), stderr=subprocess.STDOUT, cwd=ROOT,  # noqa: SIM115
        )  # fmt: skip
        self.peak_rss = 0
        self.assigned_after: float | None = None
        self._watching = True
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        while self._watching and self.process.poll() is None:
            with contextlib.suppress(OSError, KeyError):  # the process may end between two reads
                self.peak_rss = max(self.peak_rss, status(self.process.pid)["VmRSS"])
            time.sleep(0.2)

    def wait_ready(self, timeout: float = 600) -> float:
        while True:
            if self.process.poll() is not None:
                raise SystemExit(f"the consumer exited with {self.process.returncode}")
            try:
                urllib.request.urlopen(self.url, timeout=60).close()
                return time.monotonic() - self.started
            except OSError:
                if time.monotonic() - self.started > timeout:
                    raise SystemExit("the consumer did not answer /metrics") from None
                time.sleep(0.05)

    def scrape(self) -> tuple[float, dict[str, float]]:
        """(seconds, accepted records per topic) of one scrape; notes when partitions were first assigned."""
        started = time.perf_counter()
        with urllib.request.urlopen(self.url, timeout=60) as response:
            text = response.read().decode()
        took = time.perf_counter() - started
        accepted = {}
        for family in text_string_to_metric_families(text):
            if family.name == "customs_kpi_records":
                for s in family.samples:
                    if s.name.endswith("_total") and s.labels["outcome"] == "accepted":
                        accepted[s.labels["topic"]] = s.value
            elif family.name == "customs_kpi_consumer_lag_records" and family.samples and self.assigned_after is None:
                self.assigned_after = time.monotonic() - self.started  # lag is reported once partitions are assigned
        return took, accepted

    def cpu_s(self) -> float:
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def wait_quiet(self, limit_s: float = 300) -> float:
        """Wait until the consumer's own background work (index compaction, DuckDB checkpoint) is done:
        under 5% of a core over 2 s. The idle scrapes above start right after the drain."""
        started = time.monotonic()
        while time.monotonic() - started < limit_s:
            before = self.cpu_s()
            time.sleep(2)
            if self.cpu_s() - before < 0.1:
                break
        return time.monotonic() - started

    def stop(self) -> dict[str, int]:
        final = status(self.process.pid)
        self._watching = False
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(120)
        return final


def produce(bootstrap: str, batches: list[Batch]) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=20, batch_size=512 * 1024)
    for batch in batches:
        for topic, frame in batch.frames.items():
            for key, value in zip(frame["key"].cast(pl.Binary).to_list(), frame["value"].cast(pl.Binary).to_list(), strict=True):
                producer.send(topic, key=key, value=value)
    producer.flush()
    producer.close()


def ready_query_times(db: Path) -> dict[str, float]:
    con, source = open_sandbox(db, memory_limit="4GB")  # release_times groups every declaration: let it spill past 4 GB
    try:
        as_of = latest_event_time(con)
        times = {}
        for name in ready_queries():
            started = time.perf_counter()
            run_query(con, source, (queries_dir() / f"{name}.sql").read_text("utf-8"), timeout_s=1800, params={"as_of": as_of})
            times[name] = round(time.perf_counter() - started, 3)
        return times
    finally:
        con.close()


def settle(writer: Writer, limit_s: float = 900) -> float:
    """Let the index finish compacting and DuckDB checkpoint what the build wrote; returns the seconds waited.

    The build writes a year in minutes, a thousand times a national stream's pace, and leaves the
    index compaction work that a real stream never piles up; measuring on top of it would time the
    build, not the size."""
    assert writer.store is not None and writer.store._index is not None
    db = writer.store._index.state._db
    started = time.monotonic()
    with writer.store.reader() as con:
        con.execute("CHECKPOINT")
    while time.monotonic() - started < limit_s:
        pending = (db.property_int_value("rocksdb.compaction-pending") or 0) + (
            db.property_int_value("rocksdb.num-running-compactions") or 0
        )
        if not pending:
            break
        time.sleep(1)
    return time.monotonic() - started


def measure(writer: Writer, size: int, bootstrap: str, args: argparse.Namespace, workdir: Path) -> dict[str, object]:
    load_before = os.getloadavg()  # other work on the machine shows here: the figures are only as good as the quiet
    settled_s = settle(writer)
    decode_s = write_s = 0.0
    n = 0
    for _ in range(args.fresh_batches):
        batch = writer.feed.next(args.batch)
        d, w = writer.write(batch)
        decode_s, write_s, n = decode_s + d, write_s + w, n + batch.size
    writer_rss = status()
    assert writer.store is not None
    writer.close()
    files = {
        "duckdb_bytes": tree_size(writer.db),
        "wal_bytes": tree_size(writer.db.with_name(writer.db.name + ".wal")),
        "index_bytes": tree_size(state_path(writer.db)),
    }
    print(f"  fresh writes: {n / write_s:,.0f} events/s (decode {n / decode_s:,.0f}/s); files {files}", flush=True)

    # Fresh events wait in Kafka; the consumer restarts on the file, answers /metrics, then drains them.
    live_batches = [writer.feed.next(args.batch) for _ in range(max(1, args.kafka_events // args.batch))]
    live = sum(b.size for b in live_batches)
    produce(bootstrap, live_batches)
    expected = writer.stored + live
    consumer = Consumer(writer.db, bootstrap, args.memory_limit, workdir / "consumer.log")
    try:
        restart_s = consumer.wait_ready()
        ready_at = time.monotonic()
        under_load, total = [], 0.0
        while total < expected:
            took, accepted = consumer.scrape()
            under_load.append(took)
            total = sum(accepted.values())
            if time.monotonic() - ready_at > 900:
                raise SystemExit(f"the consumer stored {total} of {expected} within 15 minutes")
            time.sleep(0.25)
        ingest_s = time.monotonic() - ready_at
        idle = []
        for _ in range(20):
            took, accepted = consumer.scrape()
            idle.append(took)
            time.sleep(0.25)
        assert sum(accepted.values()) == expected, (accepted, expected)  # every event counted once
        quiet_after_s = consumer.wait_quiet()
        quiet = []
        for _ in range(20):
            took, _ = consumer.scrape()
            quiet.append(took)
            time.sleep(0.25)
        writer.stored = expected
        final = consumer.stop()
    except BaseException:
        consumer.process.kill()
        raise
    queries = ready_query_times(writer.db)
    reopen_s = writer.open()
    result = {
        "stored_events": size,
        "events_after_measuring": writer.stored,
        "settled_before_measuring_s": round(settled_s, 1),
        "write_events_per_s": round(n / write_s),
        "decode_events_per_s": round(n / decode_s),
        "writer_rss_mb": writer_rss,
        "restart_until_metrics_s": round(restart_s, 2),
        "scrape_idle_s": {"p50": round(pct(idle, 0.5), 4), "p99": round(pct(idle, 0.99), 4), "all": [round(x, 4) for x in idle]},
        "scrape_quiet_s": {
            "p50": round(pct(quiet, 0.5), 4),
            "p99": round(pct(quiet, 0.99), 4),
            "waited_s": round(quiet_after_s, 1),
            "all": [round(x, 4) for x in quiet],
        },
        "scrape_while_draining_s": {
            "p50": round(pct(under_load, 0.5), 4),
            "p99": round(pct(under_load, 0.99), 4),
            "n": len(under_load),
        },
        "consumer_drain_events_per_s": round(live / ingest_s),
        "consumer_assigned_after_s": None if consumer.assigned_after is None else round(consumer.assigned_after, 1),
        "kafka_events": live,
        "consumer_rss_mb": {"peak_seen": consumer.peak_rss, "VmHWM": final.get("VmHWM"), "at_stop": final.get("VmRSS")},
        "files": files,
        "ready_queries_s": queries,
        "writer_reopen_s": round(reopen_s, 2),
        "load_average": {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]},
    }
    print(json.dumps(result, indent=1), flush=True)
    return result


def machine() -> dict[str, object]:
    import duckdb
    import kafka
    import rocksdict  # noqa: F401

    cpu = next(
        (line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), ""
    )
    mem = next(int(line.split()[1]) // 1024 for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    from importlib.metadata import version

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_mb": mem,
        "kernel": platform.release(),
        "python": platform.python_version(),
        "duckdb": duckdb.__version__,
        "polars": pl.__version__,
        "rocksdict": version("rocksdict"),
        "kafka_python": kafka.__version__,
    }


def continue_on(db: Path, memory_limit: str, seed: int, seq: int) -> tuple[ScaleFeed, int]:
    """A feed that goes on a second after the latest event stored in db, and how many are stored.

    The earlier feed's state is gone: the new one has another seed and sequence numbers from seq,
    which no earlier feed reaches (so no event_id repeats), and no declarations pending (those
    registered before stay open). The offsets stored in the database are forgotten: the broker
    starts afresh, and its old log with it."""
    store = open_store(db, memory_limit=memory_limit)  # replays DuckDB's WAL, catches the index up
    try:
        with store.reader() as con:
            stored = con.execute(
                "SELECT (SELECT count(*) FROM declarations) + (SELECT count(*) FROM revenue) + (SELECT count(*) FROM seizures)"
            ).fetchall()[0][0]
            con.execute("DELETE FROM consumer_offsets")
            latest = latest_event_time(con)
    finally:
        store.close()
    if latest is None:
        raise SystemExit(f"{db} holds no events")
    feed = ScaleFeed(latest.astimezone(VIETNAM) + timedelta(seconds=1), seed=seed)
    feed.seq = seq  # declaration numbers keep their 12 digits (the flow prefix and 10 for seq)
    return feed, int(stored)


def resume(db: Path, kafka_dir: Path, args: argparse.Namespace) -> tuple[dict[str, object], ScaleFeed, int]:
    """Results so far, a feed that goes on after the stored events, and how many are stored."""
    if not db.exists():
        raise SystemExit(f"--resume: no database at {db}")
    results = json.loads(args.output.read_text())
    done = [s["stored_events"] for s in results["sizes"]]
    results.setdefault("resumed", []).append(
        {"at": datetime.now(UTC).isoformat(timespec="seconds"), "machine": machine(), "after_sizes": done}
    )
    feed, stored = continue_on(db, args.memory_limit, args.seed + 1, 5_000_000_000)
    shutil.rmtree(kafka_dir, ignore_errors=True)
    print(f"resuming at {stored / 1e6:.2f} M stored events; measured before: {done}", flush=True)
    return results, feed, stored


def start(kafka_dir: Path, db: Path, args: argparse.Namespace, feed: ScaleFeed, stored: int) -> tuple[broker.BrokerState, Writer]:
    """A fresh local broker with the contract's topics, and the writer open on db with `stored` events."""
    state = broker.start(kafka_dir, free_port(pair=True), heap_mb=512, timeout=180)
    try:
        ensure_topics(KafkaConnection(state.bootstrap), 6)
        writer = Writer(db, args.memory_limit, feed, args.batch)
        writer.open()
    except BaseException:
        broker.stop(kafka_dir)
        raise
    writer.stored = stored
    return state, writer


def measure_existing(args: argparse.Namespace, results: dict[str, object]) -> None:
    """--measure: the same measurements on databases an earlier run built, in one run, without building.

    Each gets a feed after its latest event (seed and sequence numbers of its own, so nothing
    repeats what is stored) and a fresh broker; measuring adds the fresh batches and the Kafka
    events to it, as it does in a build."""
    kafka_dir = args.workdir / "kafka-measure"
    missing = [str(db) for db in args.measure if not db.exists()]
    if missing:
        raise SystemExit(f"--measure: no database at {', '.join(missing)}")
    for i, db in enumerate(args.measure):
        feed, stored = continue_on(db, args.memory_limit, args.seed + 100 + i, 6_000_000_000 + i * 100_000_000)
        print(f"measuring {db}: {stored / 1e6:.2f} M events stored", flush=True)
        shutil.rmtree(kafka_dir, ignore_errors=True)
        state, writer = start(kafka_dir, db, args, feed, stored)
        try:
            result = measure(writer, stored, state.bootstrap, args, kafka_dir.parent)
            result["database"] = str(db)
            results["sizes"].append(result)  # type: ignore[attr-defined]
            args.output.write_text(json.dumps(results, indent=1) + "\n")
            writer.close()
        finally:
            broker.stop(kafka_dir)
            shutil.rmtree(kafka_dir, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1e6,40e6,120e6", help="stored events at which to measure")
    parser.add_argument("--batch", type=int, default=20_000, help="events per batch (the consumer's --max-poll-records)")
    parser.add_argument("--fresh-batches", type=int, default=45, help="batches whose write rate is measured at each size")
    parser.add_argument("--kafka-events", type=int, default=200_000, help="fresh events sent through Kafka at each size")
    parser.add_argument("--memory-limit", default="1GB")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep-at", type=float, default=None, help="copy the database and its index after measuring at this size")
    parser.add_argument("--keep-dir", type=Path, default=ROOT / "var/bench-scale-kept", help="where --keep-at puts the copy")
    parser.add_argument("--workdir", type=Path, default=ROOT / "var/bench-scale")
    parser.add_argument("--output", type=Path, default=ROOT / "docs/benchmarks/scale.json")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="go on building the database left in --workdir by an interrupted run; sizes already in --output are kept",
    )
    parser.add_argument(
        "--measure",
        type=Path,
        nargs="+",
        metavar="DB",
        help="measure these existing databases (built by earlier runs) instead of building, smallest first",
    )
    args = parser.parse_args()
    sizes = [int(float(s)) for s in args.sizes.split(",")]

    db = args.workdir / "scale.duckdb"
    kafka_dir = args.workdir / "kafka"
    results: dict[str, object] = {
        "recorded": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "args": {k: json.loads(json.dumps(v, default=str)) for k, v in vars(args).items()},
        "sizes": [],
    }
    if args.measure:
        measure_existing(args, results)
        print(f"wrote {args.output}")
        return
    if args.resume:
        results, feed, stored = resume(db, kafka_dir, args)
    else:
        shutil.rmtree(args.workdir, ignore_errors=True)
        args.workdir.mkdir(parents=True)
        feed, stored = ScaleFeed(datetime(2021, 1, 1, tzinfo=VIETNAM), seed=args.seed), 0
    state, writer = start(kafka_dir, db, args, feed, stored)
    try:
        assert writer.store is not None
        if not args.resume:
            write_reference(writer.store, load_targets())
        build_started = time.monotonic()
        for size in sizes:
            if size <= stored:
                continue
            print(f"building to {size / 1e6:g} M events", flush=True)
            writer.fill(size)
            print(f"measuring at {writer.stored / 1e6:.2f} M events ({time.monotonic() - build_started:.0f} s so far)", flush=True)
            results["sizes"].append(measure(writer, writer.stored, state.bootstrap, args, args.workdir))  # type: ignore[union-attr]
            args.output.write_text(json.dumps(results, indent=1) + "\n")
            if args.keep_at is not None and size == int(args.keep_at):
                writer.close()
                shutil.rmtree(args.keep_dir, ignore_errors=True)
                args.keep_dir.mkdir(parents=True)
                shutil.copy2(db, args.keep_dir / db.name)
                shutil.copytree(state_path(db), state_path(args.keep_dir / db.name))
                print(f"kept a copy of the {size / 1e6:g} M database in {args.keep_dir}", flush=True)
                writer.open()
        writer.close()
    finally:
        broker.stop(kafka_dir)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
