"""Benchmark: what `customs-kpi verify` and the consumer's checks cost at the design volume.

A store of a national year (--events, 40 million by default: 15 M declarations registered and
15 M cleared, 10 M revenue receipts, 15,000 seizures; ILLUSTRATIVE values made with SQL, in
batches of 20,000 numbered as the consumer numbers them), its aggregates built by the product's
own rebuild, and its first publication to a new lake. Then, timed:

- each full check (offsets, aggregates, lake) on the consumer's connection, as its upkeep runs them;
- `verify_store`, as `customs-kpi verify` runs it (the store opened read-only, the lake attached);
- the `published` check after a publication of 10,000 new rows, 10 times: it must not grow with history.

Prints the figures and appends them to --output. Usage:
    .venv/bin/python scripts/bench_verify.py [--events 40e6] [--output docs/benchmarks/verify.json]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from scripts.results import machine, record  # noqa: E402

from streams.config import lake_for  # noqa: E402
from streams.kpi.targets import load_targets  # noqa: E402
from streams.lake import LakeWriter  # noqa: E402
from streams.read import verify  # noqa: E402
from streams.store import aggregates, open_store, write_reference  # noqa: E402

NOW = datetime(2021, 12, 31, tzinfo=UTC)
BATCH = 20_000
PARTITIONS = 6
# Row i of a table: partition i % 6, offset i // 6 within its topic; the batches spread evenly over each table.
DECLARATIONS = """
INSERT INTO declarations
SELECT 'd' || i, 'declaration.' || CASE WHEN i % 2 = 0 THEN 'registered' ELSE 'cleared' END, 1,
       TIMESTAMPTZ '2021-01-01 01:00:00+00' + to_seconds((i // 2) % 31000000 + (i % 2) * 3600),
       lpad(CAST(1 + (i // 2) % 35 AS VARCHAR), 2, '0'), NULL, 'TK' || (i // 2),
       CASE WHEN i % 2 = 0 THEN 'registered' ELSE 'cleared' END, 'A11', 'import',
       CASE (i // 2) % 10 WHEN 0 THEN 'red' WHEN 1 THEN 'yellow' WHEN 2 THEN 'yellow' ELSE 'green' END,
       '0101234567', NULL, 1000.0, 'customs.declarations', CAST(i % 6 AS INTEGER), i // 6,
       TIMESTAMPTZ '2021-12-31 00:00:00+00', i * $batches // $n + 1
FROM range(CAST($first AS BIGINT), CAST($last AS BIGINT)) t(i)
"""
REVENUE = """
INSERT INTO revenue
SELECT 'r' || i, 'revenue.collected', 1, TIMESTAMPTZ '2021-01-01 01:00:00+00' + to_seconds(i % 31000000),
       lpad(CAST(1 + i % 35 AS VARCHAR), 2, '0'), NULL, 'R' || i, 'collection', 'vat', 1000000 + i % 1000, '0101234567', NULL,
       'customs.revenue', CAST(i % 6 AS INTEGER), i // 6, TIMESTAMPTZ '2021-12-31 00:00:00+00', $seq
FROM range(CAST($first AS BIGINT), CAST($last AS BIGINT)) t(i)
"""
SEIZURES = """
INSERT INTO seizures
SELECT 's' || i, 'seizure.recorded', 1, TIMESTAMPTZ '2021-01-01 01:00:00+00' + to_seconds(i * 2000),
       lpad(CAST(1 + i % 35 AS VARCHAR), 2, '0'), NULL, 'C' || i, 'smuggling', 50000000, 0, false, false, NULL, NULL, NULL,
       'customs.seizures', CAST(i % 6 AS INTEGER), i // 6, TIMESTAMPTZ '2021-12-31 00:00:00+00', 1
FROM range(CAST($n AS BIGINT)) t(i)
"""
OFFSETS = """
INSERT OR REPLACE INTO consumer_offsets
SELECT source_topic, source_partition, max(source_offset) + 1, TIMESTAMPTZ '2021-12-31 00:00:00+00', NULL
FROM (SELECT source_topic, source_partition, source_offset FROM declarations
      UNION ALL SELECT source_topic, source_partition, source_offset FROM revenue
      UNION ALL SELECT source_topic, source_partition, source_offset FROM seizures)
GROUP BY ALL
"""


def build(db: Path, events: int) -> int:
    """The store of `events` events; returns its last batch."""
    store = open_store(db, memory_limit="4GB")
    write_reference(store, load_targets())
    declarations = events * 3 // 4
    revenue = events - declarations
    started = time.perf_counter()
    with store.reader() as con:
        batches = max(1, events // BATCH)  # each batch: three quarters declarations, a quarter revenue
        for first in range(0, declarations, 5_000_000):
            window = {"first": first, "last": min(declarations, first + 5_000_000), "batches": batches, "n": declarations}
            con.execute(DECLARATIONS, window)
        for first in range(0, revenue, 5_000_000):
            window = {"first": first, "last": min(revenue, first + 5_000_000), "batches": batches, "n": revenue}
            con.execute(REVENUE.replace("$seq", "i * $batches // $n + 1"), window)
        con.execute(SEIZURES, {"n": 15_000})
        con.execute(OFFSETS)
        con.execute("UPDATE store_state SET batch_seq = $b", {"b": batches})
        print(f"store of {events:,} events made in {time.perf_counter() - started:.0f} s", flush=True)
        started = time.perf_counter()
        aggregates.rebuild(con)
        print(f"aggregates rebuilt in {time.perf_counter() - started:.0f} s", flush=True)
    store.close()
    return batches


def add_batch(con, seq: int, first: int) -> None:  # type: ignore[no-untyped-def]
    """10,000 revenue rows more as a batch would add them: rows, aggregates and offsets in one transaction."""
    con.execute("BEGIN")
    for table in ("revenue", "declarations", "seizures", "duplicates", "rejects"):
        con.execute(f"CREATE OR REPLACE TEMP TABLE new_{table} AS SELECT * FROM main.{table} LIMIT 0")
    sql = REVENUE.replace("INSERT INTO revenue", "INSERT INTO new_revenue").replace("$seq", str(seq))
    con.execute(sql, {"first": first, "last": first + 10_000})
    con.execute("INSERT INTO revenue SELECT * FROM new_revenue")
    aggregates.merge_batch(con, {"revenue"})
    con.execute(
        "INSERT OR REPLACE INTO consumer_offsets SELECT source_topic, source_partition, max(source_offset) + 1, "
        "TIMESTAMPTZ '2021-12-31 00:00:00+00', NULL FROM new_revenue GROUP BY ALL"
    )
    con.execute("UPDATE store_state SET batch_seq = $b", {"b": seq})
    con.execute("COMMIT")


def timed(label: str, run):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    found = run()
    took = time.perf_counter() - started
    print(f"{label}: {took:.2f} s, {len(found)} differences", flush=True)
    return round(took, 3), found


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=float, default=40e6)
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks" / "verify.json")
    parser.add_argument("--folder", type=Path, default=None, help="where to build (default: a temporary folder, removed)")
    parser.add_argument("--reuse", action="store_true", help="measure the store and lake an earlier run left in --folder")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="customs-kpi-verify-"))
    folder.mkdir(parents=True, exist_ok=True)
    db = folder / "verify.duckdb"
    try:
        events = int(args.events)
        if not args.reuse:
            build(db, events)
        store = open_store(db, memory_limit="4GB")
        writer = LakeWriter(store, lake_for(db))
        started = time.perf_counter()
        writer.publish(NOW, reference=True)
        print(f"publication of what is new in {time.perf_counter() - started:.0f} s", flush=True)
        with store.reader() as con:
            (last, revenue, stored), *_ = con.execute(
                "SELECT (SELECT batch_seq FROM store_state), (SELECT count(*) FROM revenue), "
                "(SELECT (SELECT count(*) FROM revenue) + (SELECT count(*) FROM declarations) + (SELECT count(*) FROM seizures))"
            ).fetchall()
        figures: dict[str, object] = {}
        for check in verify.SCHEDULED:
            took, found = timed(f"consumer's {check} check", lambda check=check: verify.scheduled(writer, check))
            assert not found, found
            figures[check] = took
        published = []
        for k in range(10):
            seq = last + 1 + k
            base = revenue + k * 10_000
            with store.reader() as con:
                add_batch(con, seq, base)
            done = writer.publish(NOW, reference=False)
            assert done is not None
            took, found = timed(f"published check of 10,000 rows (batch {seq})", lambda done=done: verify.after_publication(writer, done))
            assert not found, found
            published.append(took)
        writer.close()
        store.close()
        command = "customs-kpi verify (store read-only, lake attached)"
        took, result = timed(command, lambda: verify.verify_store(db, lake_for(db), None).differences)
        assert not result, result
        summary = {
            "command": f"python scripts/bench_verify.py --events {args.events:g}" + (" --reuse" if args.reuse else ""),
            "machine": machine(),
            "date": datetime.now(UTC).isoformat(timespec="seconds"),
            "events": stored + 100_000,
            "consumer_full_checks_s": figures,
            "published_check_s": {"p50": statistics.median(published), "max": max(published)},
            "verify_command_s": took,
            "store_gb": round(db.stat().st_size / 1e9, 2),
        }
    finally:
        if args.folder is None:
            shutil.rmtree(folder, ignore_errors=True)
    print(summary)
    record(args.output, summary)


if __name__ == "__main__":
    main()
