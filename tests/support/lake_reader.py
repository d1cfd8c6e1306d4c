"""A reader of the lake in a process of its own, given only the catalog connection (PGPASSWORD in
the environment) and nothing of the consumer's: it attaches the lake read-only and, every 0.2 s
until told to stop, checks that it sees whole publications and records what it saw.

    python -m tests.support.lake_reader 'postgres:dbname=lake host=... user=...' STOP_FILE OUT.json
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from streams.lake import load_extensions

QUERY = (
    "SELECT (SELECT coalesce(sum(events), 0) FROM lake.lake_publications), (SELECT count(*) FROM lake.revenue), "
    "(SELECT coalesce(sum(amount_vnd), 0) FROM lake.revenue)"
)


def main(catalog: str, stop: Path, out: Path) -> None:
    con = duckdb.connect()
    load_extensions(con, "ducklake", catalog.split(":", 1)[0])
    con.execute(f"ATTACH 'ducklake:{catalog}' AS lake (READ_ONLY)")
    queries, failures, partial, backwards = 0, [], 0, 0
    last = (0, 0, 0)
    seen: set[int] = set()  # the row counts this reader saw: several, if it read while the consumer ingested
    while not stop.exists():
        try:
            published, rows, total = con.execute(QUERY).fetchall()[0]
        except duckdb.Error as exc:
            failures.append(str(exc).splitlines()[0])
            time.sleep(0.2)
            continue
        queries += 1
        partial += published != rows  # rows without their publication record, or the reverse
        backwards += rows < last[1]
        last = (published, rows, int(total))
        seen.add(rows)
        time.sleep(0.2)
    report = {"queries": queries, "failures": failures, "partial": partial, "backwards": backwards, "last": last, "seen": sorted(seen)}
    out.write_text(json.dumps(report))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]))
