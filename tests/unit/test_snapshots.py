"""The analysts' snapshot: taken on its own thread while batches commit; a failed copy is counted and retried."""

from __future__ import annotations

import time
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

    assert snapshots.maybe_publish() is True  # started
    assert snapshots.wait() is False
    assert errors == [1]
    assert not blocked.exists()
    assert registry.get_sample_value("taken") == 0

    blocked.parent.mkdir()  # the fault is removed: the next call publishes, without new data
    assert snapshots.maybe_publish() is True
    assert snapshots.wait() is True
    assert errors == [1]
    assert registry.get_sample_value("taken") == NOW.timestamp()
    with duckdb.connect(str(blocked), read_only=True) as con:
        assert con.execute("SELECT events FROM snapshot_info").fetchone() == (0,)
    # the writer's connection is usable and has nothing attached left over
    assert [r[0] for r in store._con.execute("SELECT database_name FROM duckdb_databases() WHERE NOT internal").fetchall()] == ["db"]


def test_the_writer_keeps_committing_while_a_snapshot_is_copied(tmp_path: Path) -> None:
    """The copy runs on its own thread and transaction: batches commit meanwhile, and the snapshot holds whole batches."""
    from streams.contract import EVENT_TYPES
    from streams.decode import decode_batch
    from tests.factories import raw_batch, revenue

    store = open_store(tmp_path / "db.duckdb")
    with store.reader() as con:  # bulk history, so that the copy takes a while
        con.execute(
            "INSERT INTO revenue SELECT 'bulk-' || i, 'revenue', 1, TIMESTAMPTZ '2021-01-01 00:00:00+00', '03', NULL, 'BL', "
            "'collection', 'vat', 1, '0201234567', NULL, 'customs.revenue', 5, i, now(), NULL FROM range(3000000) r(i)"
        )
    registry = CollectorRegistry()
    snapshots = Snapshotter(
        store, tmp_path / "db.snapshot.duckdb", 0.0, lambda: NOW, Gauge("t", "t", registry=registry), Histogram("d", "d", registry=registry)
    )
    spec, offset, during = EVENT_TYPES["revenue"], 0, 0

    def write() -> None:
        nonlocal offset
        batch = decode_batch(spec, raw_batch(spec.topic, [revenue(amount_vnd=1) for _ in range(100)], 0, offset), NOW)
        offset += 100
        store.write_batch([(spec, batch)], {(spec.topic, 0): offset}, NOW)

    write(), write()
    assert snapshots.maybe_publish() is True
    while snapshots._thread is not None and snapshots._thread.is_alive():
        write()
        during += 1
    assert snapshots.wait() is True
    assert during >= 3, f"only {during} batches committed while the snapshot was copied"
    with duckdb.connect(str(tmp_path / "db.snapshot.duckdb"), read_only=True) as con:
        rows, next_offset, accepted = con.execute(
            "SELECT (SELECT count(*) FROM revenue WHERE batch_seq IS NOT NULL), "
            "(SELECT coalesce(max(next_offset), 0) FROM consumer_offsets), "
            "(SELECT coalesce(sum(records), 0) FROM agg_records)"
        ).fetchone()  # type: ignore[misc]
    assert rows == next_offset == accepted  # whole batches: rows, offsets and aggregates of the same batches
    assert 200 <= rows < offset  # taken while the writer went on


def test_copies_take_at_most_a_tenth_of_the_time(tmp_path: Path) -> None:
    """After a copy that took t seconds, the next waits max(--snapshot-every, 9 t)."""
    store = open_store(tmp_path / "db.duckdb")
    registry = CollectorRegistry()
    snapshots = Snapshotter(
        store, tmp_path / "db.snapshot.duckdb", 1.0, lambda: NOW, Gauge("t", "t", registry=registry), Histogram("d", "d", registry=registry)
    )
    assert snapshots.interval_s == 1.0
    snapshots._took = 5.0  # as if the last copy took 5 s
    assert snapshots.interval_s == 45.0
    snapshots._last, snapshots._dirty = time.monotonic() - 30, True
    assert snapshots.maybe_publish() is False  # 30 s after: not yet
    snapshots._last = time.monotonic() - 46
    assert snapshots.maybe_publish() is True and snapshots.wait() is True
    assert snapshots._took < 5.0 and snapshots.interval_s == max(1.0, 9 * snapshots._took)  # a fast copy brings it back
