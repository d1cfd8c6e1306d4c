"""The analysts' snapshot: a failed copy is counted and retried, and never stops the consumer."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb
from prometheus_client import CollectorRegistry, Gauge, Histogram

from streams.consume.snapshots import Snapshotter
from streams.store import open_store

NOW = datetime(2021, 6, 1, 3, 0, tzinfo=UTC)


def test_a_failed_snapshot_is_counted_kept_dirty_and_retried(tmp_path: Path) -> None:
    store = open_store(tmp_path / "db.duckdb")
    registry = CollectorRegistry()
    taken = Gauge("taken", "t", registry=registry)
    duration = Histogram("duration", "d", registry=registry)
    errors: list[int] = []
    blocked = tmp_path / "no-such-folder" / "db.snapshot.duckdb"  # the copy cannot be created: a real DuckDB error
    snapshots = Snapshotter(store, blocked, 0.0, lambda: NOW, taken, duration, on_error=lambda: errors.append(1))

    assert snapshots.maybe_publish() is False
    assert errors == [1]
    assert not blocked.exists()
    assert registry.get_sample_value("taken") == 0

    blocked.parent.mkdir()  # the fault is removed: the next call publishes, without new data
    assert snapshots.maybe_publish() is True
    assert errors == [1]
    assert registry.get_sample_value("taken") == NOW.timestamp()
    with duckdb.connect(str(blocked), read_only=True) as con:
        assert con.execute("SELECT events FROM snapshot_info").fetchone() == (0,)
    # the writer's connection is usable and has nothing attached left over
    assert [r[0] for r in store._con.execute("SELECT database_name FROM duckdb_databases() WHERE NOT internal").fetchall()] == ["db"]
