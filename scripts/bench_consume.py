"""Benchmark: raw kafka-python poll rate vs end-to-end rate (Kafka -> Polars -> DuckDB with offsets).

Both read the same topics in one run. Starts its own broker through the project's launcher.
Usage: .venv/bin/python scripts/bench_consume.py [--events N] [--output docs/benchmarks/consume.json]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from kafka import KafkaConsumer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from scripts.results import machine, record  # noqa: E402

from streams.config import ConsumerSettings, KafkaConnection, lake_for  # noqa: E402
from streams.consume.runner import build_pipeline  # noqa: E402
from streams.contract.events import TOPICS  # noqa: E402
from streams.kafka import broker  # noqa: E402
from streams.kafka.topics import ensure_topics  # noqa: E402
from streams.kpi.clock import VIETNAM  # noqa: E402
from streams.kpi.targets import load_targets  # noqa: E402
from streams.produce.run import play  # noqa: E402
from streams.produce.sender import EventSender  # noqa: E402
from streams.produce.simulator import SimulationPlan, Simulator  # noqa: E402
from tests.support.ports import free_port  # noqa: E402


def _cpu_model() -> str:
    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
    except OSError:
        return platform.processor()
    return next((line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")), platform.processor())


def produce(bootstrap: str, events: int) -> int:
    start = datetime(2021, 1, 1, tzinfo=VIETNAM)
    plan = SimulationPlan(start, start + timedelta(days=max(1, round(events / 1500))), events_per_day=1500)
    report = play(Simulator(plan, load_targets()).events(), EventSender(KafkaConnection(bootstrap)))
    return report.sent


def raw_poll(bootstrap: str, total: int, max_records: int) -> float:
    consumer = KafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=f"bench-raw-{time.time()}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        max_poll_records=max_records,
        fetch_max_bytes=64 * 1024 * 1024,
        max_partition_fetch_bytes=8 * 1024 * 1024,
    )
    consumer.subscribe(list(TOPICS))
    seen, started, first = 0, 0.0, 0
    while seen < total:
        batch = consumer.poll(timeout_ms=1000, max_records=max_records)
        n = sum(len(records) for records in batch.values())
        if n and not seen:
            started, first = time.perf_counter(), n  # timed from the first batch, like the end-to-end run
        seen += n
    elapsed = time.perf_counter() - started
    consumer.close()
    return (seen - first) / elapsed


def end_to_end(bootstrap: str, total: int, db: Path, max_records: int) -> float:
    """The consumer's own run loop (prefetch thread + decode + DuckDB write with offsets), timed from its first batch."""
    settings = ConsumerSettings(  # publishing to the lake beside the database, as `customs-kpi consume` does by default
        kafka=KafkaConnection(bootstrap), db_path=db, metrics_port=0, max_poll_records=max_records, lake=lake_for(db)
    )
    pipeline, registry, close = build_pipeline(settings)

    def handled() -> float:  # records in committed batches
        return registry.get_sample_value("customs_kpi_batch_records_sum") or 0.0

    runner = threading.Thread(target=pipeline.run)
    runner.start()
    try:
        while handled() == 0:
            time.sleep(0.001)
        started, first = time.perf_counter(), handled()
        while handled() < total:
            time.sleep(0.001)
        elapsed = time.perf_counter() - started
    finally:
        pipeline.stop()
        runner.join()
        close()
    return (total - first) / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--max-poll-records", type=int, default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="raw and end-to-end runs alternate; medians are reported")
    parser.add_argument("--output", type=Path, default=ROOT / "docs/benchmarks/consume.json")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "kafka"
        state = broker.start(data, free_port(pair=True))
        try:
            ensure_topics(KafkaConnection(state.bootstrap))
            sent = produce(state.bootstrap, args.events)
            print(f"produced {sent} events")
            raws, e2es = [], []
            for i in range(args.rounds):
                raws.append(raw_poll(state.bootstrap, sent, args.max_poll_records))
                e2es.append(end_to_end(state.bootstrap, sent, Path(tmp) / f"bench{i}.duckdb", args.max_poll_records))
                print(f"round {i + 1}: raw {raws[-1]:,.0f}/s, end to end {e2es[-1]:,.0f}/s, ratio {e2es[-1] / raws[-1]:.1%}")
            raw, e2e = statistics.median(raws), statistics.median(e2es)
            print(f"raw kafka-python poll (median):         {raw:10,.0f} events/s")
            print(f"end to end, DuckDB + offsets (median):  {e2e:10,.0f} events/s")
            print(f"ratio of medians:                       {e2e / raw:10.1%}")
        finally:
            broker.stop(data)
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "events": sent,
        "max_poll_records": args.max_poll_records,
        "raw_poll_events_per_s": round(raw),
        "end_to_end_events_per_s": round(e2e),
        "ratio": round(e2e / raw, 3),
        "rounds": [{"raw": round(r), "end_to_end": round(e)} for r, e in zip(raws, e2es, strict=True)],
        "machine": machine(_cpu_model()),
    }
    record(args.output, result)


if __name__ == "__main__":
    main()
