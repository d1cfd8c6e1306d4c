"""Read-only snapshots of the live database for analysts.

DuckDB lets no other process open a file that a writer holds, not even read-only. The consumer
therefore copies its database, in one read transaction on a thread of its own, into
`<db>.snapshot.duckdb.tmp` and renames it over `<db>.snapshot.duckdb`. The transaction sees whole
batches only, while the writer goes on committing. The rename is atomic: a reader sees the old
snapshot or the new one. Readers that have the old file open keep reading it undisturbed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from streams.store.database import EventStore

SNAPSHOT_SUFFIX = ".snapshot.duckdb"


def snapshot_path(db: Path) -> Path:
    return db.with_name(db.name.removesuffix(".duckdb") + SNAPSHOT_SUFFIX)


@dataclass(frozen=True)
class SnapshotInfo:
    path: Path
    taken_at: datetime
    rows: int


def publish_snapshot(store: EventStore, target: Path, now: datetime) -> SnapshotInfo:
    """Copy the whole database to target atomically, from any thread."""
    tmp = target.with_name(target.name + ".tmp")
    for leftover in (tmp, tmp.with_name(tmp.name + ".wal")):
        leftover.unlink(missing_ok=True)
    rows = store.copy_to(tmp, now)
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.replace(tmp, target)
    return SnapshotInfo(target, now, rows)
