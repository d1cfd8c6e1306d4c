"""Benchmark: `restore --from-lake` at the design volume (issue 23's goal: a 40 million event lake in at
most 10 minutes on this machine, and how it grows).

For each size in --events: a store of that many revenue rows (made with SQL in batches of 20,000,
as bench_lake.py makes them, on 6 partitions with their committed offsets) is published to a new
lake; then a new store is restored from the lake: rows copied, aggregates and index rebuilt from
the rows as it opens. Prints the figures and writes them to --output. Usage:
    .venv/bin/python scripts/bench_restore.py [--events 4e6,40e6] [--output docs/benchmarks/restore.json]
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
sys.path.insert(0, str(ROOT / "scripts"))

from bench_lake import AGGREGATE, BATCH, INSERT, NOW  # noqa: E402
from streams.config import lake_for  # noqa: E402
from streams.kpi.targets import load_targets  # noqa: E402
from streams.lake import LakeWriter, restore_from_lake  # noqa: E402
from streams.store import open_store, write_reference  # noqa: E402

OFFSETS = """
INSERT INTO consumer_offsets (topic, "partition", next_offset, updated_at)
SELECT 'customs.revenue', source_partition, max(source_offset) + 1, now() FROM revenue GROUP BY ALL
"""


def one_size(folder: Path, events: int) -> dict[str, object]:
    db = folder / f"lost-{events}.duckdb"
    store = open_store(db, memory_limit="2GB")
    write_reference(store, load_targets())
    with store.reader() as con:
        for first in range(0, events, 5_000_000):
            con.execute(INSERT, {"first": first, "last": min(events, first + 5_000_000), "batch": BATCH})
        con.execute(AGGREGATE)
        con.execute(OFFSETS)
        con.execute("UPDATE store_state SET batch_seq = $b", {"b": (events - 1) // BATCH + 1})
    writer = LakeWriter(store, lake_for(db))
    started = time.perf_counter()
    assert writer.publish(NOW, reference=True) is not None
    published = time.perf_counter() - started
    writer.close()
    store.close()
    shutil.rmtree(f"{db}.index")
    db.unlink()  # the disk is lost; the lake (here beside it) is not
    restored = folder / f"restored-{events}.duckdb"
    started = time.perf_counter()
    done = restore_from_lake(restored, lake_for(db), datetime.now(UTC))
    took = time.perf_counter() - started
    assert done.events == events and done.partitions == 6
    print(f"{events:,} events: published in {published:.0f} s, restored in {took:.0f} s ({events / took:,.0f} events/s)", flush=True)
    return {"events": events, "first_publication_s": round(published, 1), "restore_s": round(took, 1), "events_per_s": round(events / took)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", default="4e6,40e6", help="comma-separated sizes")
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "benchmarks" / "restore.json")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="customs-kpi-restore-"))
    try:
        sizes = [one_size(folder, int(float(n))) for n in args.events.split(",")]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    result = {
        "command": f"python scripts/bench_restore.py --events {args.events}",
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "sizes": sizes,
    }
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
