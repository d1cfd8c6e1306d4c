"""Soak: a sustained stream through the real consumer, with rate, lag, freshness and memory recorded.

Starts its own broker through the project's launcher and `customs-kpi consume` as a child process
(wall clock, the default settings), then sends revenue and declaration events at --rate for
--minutes from a second process. Once a second a probe (1 VND from department 12, which nothing
else uses) is sent and /metrics is read every 0.25 s until it shows; the wait is the end-to-end
freshness. A second thread keeps a reader's session on the analysts' lake and queries it every
0.25 s for the probes: the wait until a probe is visible there is the lake's freshness (produced
to readable by analysts). Every 5 s: records stored, lag, and the consumer's resident memory (VmRSS).
Usage: .venv/bin/python scripts/soak.py [--rate 2000] [--minutes 10] [--memory-limit 256MB]
                                       [--db FILE] [--publish-every 5] [--output docs/benchmarks/soak.json]
With --db the consumer writes an existing database (e.g. the 40 M events kept by `make bench-scale`)
instead of a new one, its stored Kafka offsets cleared (they belong to another broker), and
exactness is checked on what the soak adds.
The events are ILLUSTRATIVE (random amounts), not official figures.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kafka import KafkaProducer  # noqa: E402
from prometheus_client.parser import text_string_to_metric_families  # noqa: E402

from streams.config import KafkaConnection, lake_for  # noqa: E402
from streams.contract.reference import departments  # noqa: E402
from streams.kafka import broker  # noqa: E402
from streams.kafka.topics import ensure_topics  # noqa: E402
from streams.read import open_sandbox, run_query  # noqa: E402
from tests.support.ports import free_port  # noqa: E402

PROBE_DEPT = "12"


# Tags this run's event ids and numbers, so a soak on a database an earlier soak wrote (--db) sends
# new events, not conflicting copies of the earlier ones.
RUN = f"{int(time.time()):x}"
DECLARATION_BASE = int(time.time()) % 100_000 * 1_000_000


def load(bootstrap: str, rate: int, seconds: float, sent: multiprocessing.Value, stop: multiprocessing.Event) -> None:  # type: ignore[type-arg]
    """Send `rate` events a second (9 revenue : 1 declaration) in 100 ms slices."""
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=20, batch_size=256 * 1024)
    codes = [d.code for d in departments() if d.code != PROBE_DEPT]
    started, n = time.monotonic(), 0
    while not stop.is_set() and time.monotonic() - started < seconds:
        due = int((time.monotonic() - started) * rate)
        while n < due:
            dept = codes[n % len(codes)]
            at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            if n % 10:
                value = (
                    f'{{"event_id":"soak-{RUN}-r-{n}","event_type":"revenue","schema_version":1,"occurred_at":"{at}",'
                    f'"department_code":"{dept}","receipt_no":"S{RUN}{n}","kind":"collection","tax_type":"vat",'
                    f'"amount_vnd":{1_000_000 + n % 997 * 1000},"enterprise_tax_code":"0100000001","office_code":null}}'
                )
                producer.send("customs.revenue", key=dept.encode(), value=value.encode())
            else:
                number = (DECLARATION_BASE + n) % 10**11
                value = (
                    f'{{"event_id":"soak-{RUN}-d-{n}","event_type":"declaration","schema_version":1,"occurred_at":"{at}",'
                    f'"department_code":"{dept}","declaration_no":"1{number:011d}","status":"registered","type_code":"A11",'
                    f'"flow":"import","channel":"green","enterprise_tax_code":"0100000001","hs_code":"85171200",'
                    f'"customs_value_usd":25000.5}}'
                )
                producer.send("customs.declarations", key=dept.encode(), value=value.encode())
            n += 1
        with sent.get_lock():
            sent.value = n
        time.sleep(0.1)
    producer.flush()
    producer.close()
    with sent.get_lock():
        sent.value = n


SCRAPE_ERRORS: list[str] = []


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """The samples of /metrics; a failed read is recorded in SCRAPE_ERRORS and gives no samples."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
    except OSError as exc:  # urllib's HTTPError and URLError are OSErrors
        SCRAPE_ERRORS.append(f"{datetime.now(UTC).isoformat(timespec='seconds')} {exc}")
        return {}
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(text) for s in f.samples}


def total(samples: dict, name: str, **labels: str) -> float:
    want = set(labels.items())
    return sum(v for (n, lbl), v in samples.items() if n == name and want <= set(lbl))


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def memory(timeline: list[dict[str, float]], warmup_s: float) -> dict[str, float]:
    """Resident memory: the median of the minute after warm-up against the median of the last two
    minutes (the level memory settles at), and the highest single sample (a short peak while the
    consumer publishes to the analysts' lake) reported on its own."""
    end = timeline[-1]["t_s"]
    warm = [r["rss_mb"] for r in timeline if warmup_s <= r["t_s"] < warmup_s + 60]
    tail = [r["rss_mb"] for r in timeline if r["t_s"] >= end - 120]
    return {
        "rss_mb_median_minute_after_warmup": statistics.median(warm),
        "rss_mb_median_last_2_min": statistics.median(tail),
        "rss_growth_after_warmup_pct": round((statistics.median(tail) / statistics.median(warm) - 1) * 100, 1),
        "rss_mb_peak": max(r["rss_mb"] for r in timeline),
        "rss_mb_peak_after_warmup_minute": max(r["rss_mb"] for r in timeline if r["t_s"] >= warmup_s + 60),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=int, default=2000, help="events a second")
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--warmup-minutes", type=float, default=3.0, help="memory growth is measured from the end of this")
    parser.add_argument("--memory-limit", default=None, help="the consumer's --memory-limit (default: none, DuckDB's own)")
    parser.add_argument("--db", type=Path, default=None, help="an existing database to write (default: a new one)")
    parser.add_argument("--publish-every", default="5", help="the consumer's --publish-every (0: no analysts' lake)")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks" / "soak.json")
    args = parser.parse_args()
    seconds = args.minutes * 60

    work = Path(tempfile.mkdtemp(prefix="customs-soak-"))
    if args.db is not None:  # its offsets belong to another broker's topics: this soak's broker starts empty
        import duckdb

        with duckdb.connect(str(args.db)) as con:
            con.execute("DELETE FROM consumer_offsets")
    state = broker.start(work / "kafka", free_port(pair=True), heap_mb=512, timeout=180)
    consumer = None
    try:
        ensure_topics(KafkaConnection(state.bootstrap), 6)
        metrics_port = free_port()
        log = open(work / "consumer.log", "wb")  # noqa: SIM115
        consumer = subprocess.Popen(
            [sys.executable, "-m", "streams", "consume", "-b", state.bootstrap, "--db", str(args.db or work / "soak.duckdb"),
             "--metrics-port", str(metrics_port), "--publish-every", args.publish_every,
             *(["--memory-limit", args.memory_limit] if args.memory_limit else [])],
            stdout=log, stderr=subprocess.STDOUT, cwd=ROOT,
        )  # fmt: skip
        deadline = time.monotonic() + 600
        while not (first := scrape(metrics_port)):
            if time.monotonic() > deadline or consumer.poll() is not None:
                raise SystemExit(f"the consumer did not start; see {work / 'consumer.log'}")
            time.sleep(0.2)
        SCRAPE_ERRORS.clear()  # refused while the consumer started: expected
        stored_before = total(first, "customs_kpi_records_total", outcome="accepted")  # an existing database's events

        sent = multiprocessing.Value("q", 0)
        stop = multiprocessing.Event()
        loader = multiprocessing.Process(target=load, args=(state.bootstrap, args.rate, seconds, sent, stop))
        probes = KafkaProducer(bootstrap_servers=state.bootstrap, acks="all", linger_ms=0)
        timeline: list[dict[str, float]] = []
        freshness: list[float] = []
        scrape_seconds: list[float] = []
        started = time.monotonic()
        loader.start()

        def sample_every_5s() -> None:
            previous, previous_at = 0.0, time.monotonic()
            while loader.is_alive():
                time.sleep(5)
                s = scrape(metrics_port)
                if not s:
                    continue
                now = time.monotonic()
                stored = total(s, "customs_kpi_records_total")
                timeline.append(
                    {
                        "t_s": round(now - started, 1),
                        "sent": sent.value,
                        "stored": stored,
                        "ingest_per_s": round((stored - previous) / (now - previous_at), 1),
                        "lag": total(s, "customs_kpi_consumer_lag_records"),
                        "rss_mb": round(rss_mb(consumer.pid), 1),
                    }
                )
                previous, previous_at = stored, now
                row = timeline[-1]
                print(f"{row['t_s']:7.1f} s  sent {row['sent']:>9}  stored {row['stored']:>11.0f}  "
                      f"{row['ingest_per_s']:>8.1f}/s  lag {row['lag']:>7.0f}  rss {row['rss_mb']:7.1f} MB", flush=True)  # fmt: skip

        sampler = threading.Thread(target=sample_every_5s, daemon=True)
        sampler.start()
        probe_sent: dict[str, float] = {}  # event id -> when it was sent
        lake_freshness: list[float] = []

        def watch_the_lake() -> None:
            db = args.db or work / "soak.duckdb"
            since = started_at  # before the first probe: its row is ingested after this
            con, source = open_sandbox(db, lake_for(db))  # waits for the consumer's first publication
            seen: set[str] = set()
            while loader.is_alive() or len(seen) < len(probe_sent):
                found = run_query(
                    con,
                    source,
                    f"SELECT event_id FROM revenue WHERE ingested_at >= $since AND event_id LIKE 'probe-{RUN}-%'",
                    params={"since": since},
                ).frame["event_id"]
                now = time.monotonic()
                for event_id in set(found.to_list()) - seen:
                    seen.add(event_id)
                    if event_id in probe_sent:
                        lake_freshness.append(now - probe_sent[event_id])
                if not loader.is_alive() and time.monotonic() - probe_last[0] > 60:
                    break
                time.sleep(0.25)
            con.close()

        probe_last = [time.monotonic()]
        started_at = datetime.now(UTC)
        watcher = threading.Thread(target=watch_the_lake, daemon=True)
        if args.publish_every != "0":
            watcher.start()
        k = 0
        while loader.is_alive():
            k += 1
            at = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
            value = (
                f'{{"event_id":"probe-{RUN}-{k}","event_type":"revenue","schema_version":1,"occurred_at":"{at}",'
                f'"department_code":"{PROBE_DEPT}","receipt_no":"P{RUN}{k}","kind":"collection","tax_type":"vat",'
                f'"amount_vnd":1,"enterprise_tax_code":"0100000001","office_code":null}}'
            )
            sent_at = time.monotonic()
            probe_sent[f"probe-{RUN}-{k}"] = sent_at
            probe_last[0] = sent_at
            probes.send("customs.revenue", key=PROBE_DEPT.encode(), value=value.encode())
            probes.flush()
            while time.monotonic() - sent_at < 60:
                before = time.monotonic()
                s = scrape(metrics_port)
                scrape_seconds.append(time.monotonic() - before)
                if total(s, "customs_revenue_collected_vnd_total", department=PROBE_DEPT) >= k:
                    freshness.append(time.monotonic() - sent_at)
                    break
                time.sleep(0.25)
            time.sleep(max(0.0, 1.0 - (time.monotonic() - sent_at)))
        loader.join()
        sampler.join(timeout=10)
        if watcher.is_alive():
            watcher.join(timeout=90)
        expected = stored_before + sent.value + k
        drain_deadline = time.monotonic() + 300
        while total(scrape(metrics_port), "customs_kpi_records_total") < expected and time.monotonic() < drain_deadline:
            time.sleep(1)
        final = scrape(metrics_port)
        for _ in range(10):  # a failed last read is retried, not taken for zero
            if final:
                break
            time.sleep(1)
            final = scrape(metrics_port)
    finally:
        if consumer is not None:
            consumer.terminate()
            consumer.wait(60)
        broker.stop(work / "kafka")

    elapsed = timeline[-1]["t_s"] if timeline else seconds
    accepted = total(final, "customs_kpi_records_total", outcome="accepted")
    summary = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "command": f"python scripts/soak.py --rate {args.rate} --minutes {args.minutes:g} --publish-every {args.publish_every}"
        + (f" --memory-limit {args.memory_limit}" if args.memory_limit else "")
        + (f" --db {args.db}" if args.db else ""),
        "stored_before": stored_before,
        "target_rate_per_s": args.rate,
        "duration_s": elapsed,
        "sent": sent.value,
        "probes": k,
        "accepted": accepted,
        "rejected": total(final, "customs_kpi_records_total", outcome="rejected"),
        "exact": accepted == expected,
        "ingest_per_s_mean": round(statistics.mean(r["ingest_per_s"] for r in timeline[1:]), 1),
        "ingest_per_s_min_5s": min(r["ingest_per_s"] for r in timeline[1:]),
        "lag_max": max(r["lag"] for r in timeline),
        "lag_p50": statistics.median(r["lag"] for r in timeline),
        "freshness_s_p50": round(percentile(freshness, 50), 3),
        "freshness_s_p99": round(percentile(freshness, 99), 3),
        "freshness_s_max": round(max(freshness), 3),
        "freshness_resolution_s": 0.25,
        **(
            {
                "lake_freshness_s_p50": round(percentile(lake_freshness, 50), 3),
                "lake_freshness_s_p99": round(percentile(lake_freshness, 99), 3),
                "lake_freshness_s_max": round(max(lake_freshness), 3),
                "lake_probes_seen": len(lake_freshness),
            }
            if lake_freshness
            else {}
        ),
        "metrics_scrape_s_p50": round(percentile(scrape_seconds, 50), 4),
        "scrape_errors": SCRAPE_ERRORS,
        **memory(timeline, args.warmup_minutes * 60),
        "timeline": timeline,
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(summary, indent=1) + "\n")
    print(json.dumps({k: v for k, v in summary.items() if k != "timeline"}, indent=1))
    return 0 if summary["exact"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
