"""Benchmark: the analysts' lake at the design volume.

1. A store of --events revenue rows (made with SQL in batches of 20,000, as the consumer numbers
   them; 40 million by default: a national year) is published to a new lake (the one-time first
   publication), then 10,000 new rows at a time, 20 times: the time of each publication, which must
   not grow with history. A reader then opens the lake and runs a curated view.
2. The real write path (decode + batch transaction + index) on a fresh store, 120 batches of 5,000
   events, with the publisher publishing every second on its thread and without it: the writer's rate.

Prints the figures and writes them to --output. Usage:
    .venv/bin/python scripts/bench_lake.py [--events 40e6] [--output docs/benchmarks/lake.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


from streams.config import lake_for  # noqa: E402
from streams.consume.publisher import LakePublisher  # noqa: E402
from streams.contract import EVENT_TYPES  # noqa: E402
from streams.decode import decode_batch  # noqa: E402
from streams.kpi.targets import load_targets  # noqa: E402
from streams.lake import LakeWriter  # noqa: E402
from streams.read import open_sandbox, run_query  # noqa: E402
from streams.store import open_store, write_reference  # noqa: E402
from tests.support.factories import raw_batch, revenue  # noqa: E402

NOW = datetime(2021, 7, 1, tzinfo=UTC)
BATCH = 20_000
INSERT = """
INSERT INTO revenue
SELECT 'r' || i, 'revenue.collected', 1, TIMESTAMPTZ '2021-01-01 01:00:00+00' + to_seconds(i % 31000000),
       lpad(CAST(1 + i % 35 AS VARCHAR), 2, '0'), NULL, 'R' || i, 'collection', 'vat', 1000000 + i % 1000, '0101234567', NULL,
       'customs.revenue', CAST(i % 6 AS INTEGER), i, TIMESTAMPTZ '2021-07-01 00:00:00+00', i // $batch + 1
FROM range(CAST($first AS BIGINT), CAST($last AS BIGINT)) t(i)
"""
AGGREGATE = """
INSERT OR REPLACE INTO agg_revenue_day
SELECT CAST(local_time(occurred_at) AS DATE), department_code, tax_type, kind, count(*), sum(amount_vnd)
FROM revenue GROUP BY ALL
"""


def scale(folder: Path, events: int) -> dict[str, object]:
    db = folder / "scale.duckdb"
    store = open_store(db, memory_limit="2GB")
    write_reference(store, load_targets())
    started = time.perf_counter()
    with store.reader() as con:
        for first in range(0, events, 5_000_000):
            con.execute(INSERT, {"first": first, "last": min(events, first + 5_000_000), "batch": BATCH})
        con.execute(AGGREGATE)
        last_batch = (events - 1) // BATCH + 1
        con.execute("UPDATE store_state SET batch_seq = $b", {"b": last_batch})
    print(f"store of {events:,} rows made in {time.perf_counter() - started:.0f} s", flush=True)
    writer = LakeWriter(store, lake_for(db))
    started = time.perf_counter()
    first = writer.publish(NOW, reference=True)
    first_s = time.perf_counter() - started
    assert first is not None
    print(f"first publication: {first.events:,} rows in {first_s:.1f} s", flush=True)
    times = []
    for k in range(20):
        seq = last_batch + k + 1
        with store.reader() as con:
            base = events + k * 10_000
            con.execute(INSERT.replace("i // $batch + 1", "$seq"), {"first": base, "last": base + 10_000, "seq": seq})
            con.execute("UPDATE store_state SET batch_seq = $b", {"b": seq})
        started = time.perf_counter()
        done = writer.publish(NOW, reference=False)
        times.append(time.perf_counter() - started)
        assert done is not None and done.events == 10_000
    times.sort()
    print(f"publication of 10,000 rows onto {events:,}: p50 {times[10] * 1000:.0f} ms, max {times[-1] * 1000:.0f} ms", flush=True)
    writer.close()
    store.close()
    started = time.perf_counter()
    con, source = open_sandbox(db, lake_for(db))
    opened = time.perf_counter() - started
    started = time.perf_counter()
    rows = run_query(con, source, "SELECT count(*) AS n, sum(amount_vnd) AS s FROM revenue").frame.row(0)
    counted = time.perf_counter() - started
    started = time.perf_counter()
    run_query(con, source, "SELECT * FROM revenue_progress(TIMESTAMPTZ '2021-12-31 17:00:00+00') WHERE level = 'estimate'")
    progress = time.perf_counter() - started
    con.close()
    assert rows[0] == events + 200_000
    files = sum(1 for _ in (folder / "scale.lake" / "data").rglob("*.parquet"))
    size = sum(p.stat().st_size for p in (folder / "scale.lake").rglob("*") if p.is_file())
    print(f"reader: open {opened:.2f} s, count {counted:.2f} s, revenue_progress {progress:.2f} s")
    print(f"lake: {size / 2**20:.0f} MiB in {files} files")
    return {
        "stored_events": events,
        "first_publication_s": round(first_s, 2),
        "publication_10k_ms": {"p50": round(times[10] * 1000), "max": round(times[-1] * 1000), "all": [round(t * 1000) for t in times]},
        "reader_open_s": round(opened, 2),
        "reader_count_s": round(counted, 2),
        "reader_revenue_progress_s": round(progress, 2),
        "lake_mib": round(size / 2**20),
        "lake_files": files,
    }


def writer_rate(folder: Path, publish: bool, run: int) -> float:
    db = folder / f"rate-{'on' if publish else 'off'}-{run}.duckdb"
    store = open_store(db)
    write_reference(store, load_targets())
    spec = EVENT_TYPES["revenue"]
    publisher = None
    if publish:
        publisher = LakePublisher(store, lake_for(db), 1.0, 0, lambda: NOW)
    payloads = [
        [revenue(event_id=f"w{b}-{i}", amount_vnd=1_000_000 + i, occurred_at="2021-06-01T09:00:00+07:00") for i in range(5_000)]
        for b in range(120)
    ]
    decoded = [decode_batch(spec, raw_batch(spec.topic, p, 0, b * 5_000), NOW) for b, p in enumerate(payloads)]
    started = time.perf_counter()
    for b, part in enumerate(decoded):
        store.write_batch([(spec, part)], {(spec.topic, 0): (b + 1) * 5_000}, NOW)
        if publisher is not None:
            publisher.maybe_publish()
    took = time.perf_counter() - started
    if publisher is not None:
        publisher.maybe_publish(final=True)
        assert publisher.last is not None and publisher.last.batch_seq == 120
        publisher.close()
    store.close()
    return 600_000 / took


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=float, default=40e6)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks" / "lake.json")
    parser.add_argument("--folder", type=Path, default=None, help="where to build (default: a temporary folder, removed)")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="customs-kpi-lake-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        off = [writer_rate(folder, False, run) for run in range(2)]
        on = [writer_rate(folder, True, run) for run in range(2)]
        print(f"writer rate: {max(off):,.0f} events/s without publication, {max(on):,.0f} with one every second ({max(on) / max(off):.0%})")
        result = {
            "command": f"python scripts/bench_lake.py --events {args.events:g}",
            "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "writer_events_per_s": {"publication_off": round(max(off)), "publishing_every_1s": round(max(on))},
            "scale": scale(folder, int(args.events)),
        }
    finally:
        if args.folder is None:
            shutil.rmtree(folder, ignore_errors=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
