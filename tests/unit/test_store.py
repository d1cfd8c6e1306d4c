"""The DuckDB store (real DuckDB): one transaction per batch, duplicates, conflicts, offsets, one writer."""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

from streams.config import check_memory_limit
from streams.contract import EVENT_TYPES
from streams.decode import decode_batch
from streams.errors import ConfigError, DatabaseInUseError, SchemaTooNewError
from streams.store import apply_schema, migrations, open_store
from tests.support.factories import NOW, raw_batch, revenue
from tests.support.stores import held, write

REV = EVENT_TYPES["revenue"]


def scalar(store, sql):  # type: ignore[no-untyped-def]
    with store.reader() as con:
        return con.execute(sql).fetchone()[0]


def test_rows_rejects_and_offsets_land_together(tmp_path: Path) -> None:
    """A batch writes its rows, its rejects and its next offset."""
    store = open_store(tmp_path / "db.duckdb")
    counts = write(store, [revenue(amount_vnd=10), b"{bad", revenue(amount_vnd=32)], partition=2, first_offset=40)
    assert counts.accepted == {"customs.revenue": 2}
    assert counts.rejected == {"invalid_json": 1}
    assert scalar(store, "SELECT sum(amount_vnd) FROM revenue") == 42
    assert scalar(store, "SELECT raw_value FROM rejects") == b"{bad"
    assert store.stored_offsets() == {("customs.revenue", 2): 43}


def test_duplicates_are_counted_once_and_conflicts_rejected(tmp_path: Path) -> None:
    """The same event again is a duplicate (not stored); the same id with new content is a conflict."""
    store = open_store(tmp_path / "db.duckdb")
    event = revenue(event_id="r-1", amount_vnd=100)
    write(store, [event, event], first_offset=0)  # in-batch duplicate
    counts = write(store, [event, {**event, "amount_vnd": 999}, {**event, "occurred_at": "2021-06-01T02:30:00Z"}], first_offset=2)
    assert counts.accepted == {"customs.revenue": 0}
    assert counts.duplicates == {"customs.revenue": 2}  # the same instant written differently is the same content
    assert counts.rejected == {"conflicting_duplicate": 1}
    assert scalar(store, "SELECT count(*) || ':' || sum(amount_vnd) FROM revenue") == "1:100"
    assert scalar(store, "SELECT count(*) FROM duplicates") == 3
    detail = scalar(store, "SELECT detail FROM rejects WHERE reason = 'conflicting_duplicate'")
    assert detail == "event_id r-1 was first seen at customs.revenue[0]@2 with different content"


def test_in_batch_conflict_keeps_the_first(tmp_path: Path) -> None:
    """Within one batch the first occurrence wins and a differing later one is rejected with its bytes."""
    store = open_store(tmp_path / "db.duckdb")
    counts = write(store, [revenue(event_id="x", amount_vnd=1), revenue(event_id="x", amount_vnd=2)])
    assert counts.rejected == {"conflicting_duplicate": 1}
    assert scalar(store, "SELECT amount_vnd FROM revenue") == 1
    assert b'"amount_vnd":2' in scalar(store, "SELECT raw_value FROM rejects")


def test_failed_write_leaves_nothing_behind(tmp_path: Path) -> None:
    """If any statement fails, neither rows nor offsets of the batch are stored."""
    store = open_store(tmp_path / "db.duckdb")
    write(store, [revenue(amount_vnd=5)], first_offset=0)
    batch = decode_batch(REV, raw_batch(REV.topic, [revenue(amount_vnd=7)], 0, 1), NOW)
    with pytest.raises(duckdb.Error):
        store.write_batch([(REV, batch)], {("customs.revenue", 0): 2, ("x" * 10, None): 1}, NOW)  # type: ignore[dict-item]
    assert scalar(store, "SELECT sum(amount_vnd) FROM revenue") == 5
    assert store.stored_offsets() == {("customs.revenue", 0): 1}


def test_schema_is_applied_once_by_version(tmp_path: Path) -> None:
    """Reopening applies no migration twice and records each version."""
    path = tmp_path / "db.duckdb"
    open_store(path).close()
    con = duckdb.connect(str(path))
    assert apply_schema(con) == []
    assert con.execute("SELECT list(version ORDER BY version) FROM schema_migrations").fetchone()[0] == [v for v, _ in migrations()]
    con.close()


def test_a_database_of_a_newer_schema_is_refused(tmp_path: Path) -> None:
    """A file a newer release migrated is not opened (nor migrated) by this one: the error says which versions."""
    path = tmp_path / "db.duckdb"
    open_store(path).close()
    newest = max(v for v, _ in migrations())
    con = duckdb.connect(str(path))
    con.execute("INSERT INTO schema_migrations (version, name) VALUES (?, '999_from_the_future.sql')", [newest + 1])
    con.close()
    with pytest.raises(SchemaTooNewError) as info:
        open_store(path)
    assert str(info.value) == (
        f"the database is at schema version {newest + 1}, newer than this release of customs-kpi knows (up to {newest}): "
        "it was written by a newer release; run that release (or newer) on it"
    )
    assert info.value.exit_code == 2


def test_second_writer_fails_fast_with_a_clear_message(tmp_path: Path) -> None:
    """Another process holding the file makes open_store raise DatabaseInUseError naming the file and the process."""
    path = tmp_path / "db.duckdb"
    with held(path, read_only=False) as holder, pytest.raises(DatabaseInUseError) as info:
        open_store(path)
    assert str(path) in str(info.value)
    assert f"is open in another process (pid {holder.pid}: {sys.executable} -c import duckdb" in str(info.value)
    assert "while no other process has it open, for writing or for reading" in str(info.value)


def test_a_reader_holding_the_file_is_named_too(tmp_path: Path) -> None:
    """A process with the file open read-only blocks a writer as well; the message does not call it a writer."""
    path = tmp_path / "db.duckdb"
    open_store(path).close()
    with held(path, read_only=True) as reader, pytest.raises(DatabaseInUseError) as info:
        open_store(path)
    assert f"(pid {reader.pid}: " in str(info.value) and "read_only=True" in str(info.value)


def test_conflict_with_a_stored_event_names_where_it_was_accepted(tmp_path: Path) -> None:
    """A conflict with an event stored by an earlier batch points at that event's source."""
    store = open_store(tmp_path / "db.duckdb")
    write(store, [revenue(event_id="r-9", amount_vnd=1)], partition=1, first_offset=7)
    write(store, [revenue(event_id="r-9", amount_vnd=2)], partition=3, first_offset=0)
    detail = scalar(store, "SELECT detail FROM rejects")
    assert detail == "event_id r-9 was already accepted from customs.revenue[1]@7 with different content"


def _replay(store, values, originals, first_offset):  # type: ignore[no-untyped-def]
    """Send values as replays of the stored rejects at the given offsets of customs.revenue[0]."""
    from streams.decode.batch import RawBatch, replay_frame

    raw = raw_batch(REV.topic, values, 0, first_offset)
    replays = [(0, first_offset + i, raw.values[i], REV.topic, 0, o) for i, o in enumerate(originals)]
    raw = RawBatch(raw.topic, raw.partitions, raw.offsets, raw.keys, raw.values, replays)
    batch = decode_batch(REV, raw, NOW)
    return store.write_batch([(REV, batch)], {(REV.topic, 0): first_offset + len(values)}, NOW, replay_frame([raw]))


def _table(store, sql):  # type: ignore[no-untyped-def]
    with store.reader() as con:
        return con.execute(sql).fetchall()


def test_replayed_rejects_land_once_and_replaying_again_changes_nothing(tmp_path: Path) -> None:
    """A reject the decoder now accepts is stored on replay; still-bad ones keep their row; a second replay is a no-op."""
    from tests.support.factories import encode

    store = open_store(tmp_path / "db.duckdb")
    fixed = encode(revenue(event_id="fixed-1", department_code="61", office_code=None, amount_vnd=500))
    still_bad = b"{still bad"
    write(store, [revenue(event_id="a", amount_vnd=1), still_bad])  # offsets 0 (accepted), 1 (invalid_json)
    # as if rejected under older reference data that did not know department 61 yet
    with store.reader() as con:
        con.execute(
            "INSERT INTO rejects (source_topic, source_partition, source_offset, message_key, raw_value, reason, detail, event_id, "
            "rejected_at) VALUES ('customs.revenue', 0, 2, NULL, ?, 'unknown_department', 'old reference data', 'fixed-1', now())",
            [fixed],
        )

    counts = _replay(store, [fixed, still_bad], originals=[2, 1], first_offset=10)
    assert counts.accepted == {"customs.revenue": 1} and counts.rejected == {}
    assert scalar(store, "SELECT sum(amount_vnd) FROM revenue") == 501
    status = "SELECT source_offset, reason, replay_status FROM rejects ORDER BY 1"
    first = _table(store, status)
    assert first == [(1, "invalid_json", "invalid_json"), (2, "unknown_department", "accepted")]
    assert scalar(store, "SELECT count(*) FROM duplicates") == 0
    before = _table(store, "SELECT * FROM rejects ORDER BY source_offset")

    _replay(store, [fixed, still_bad], originals=[2, 1], first_offset=20)  # the same replay again
    assert _table(store, "SELECT * FROM rejects ORDER BY source_offset") == before  # statuses and times unchanged
    assert scalar(store, "SELECT sum(amount_vnd) FROM revenue") == 501
    assert scalar(store, "SELECT count(*) FROM duplicates") == 0
    assert scalar(store, "SELECT count(*) FROM revenue") == 2
    assert store.stored_offsets() == {("customs.revenue", 0): 22}


def test_a_replay_header_on_other_bytes_is_an_ordinary_message(tmp_path: Path) -> None:
    """A message that names a stored reject but carries other bytes cannot hide a rejection or touch the reject."""
    store = open_store(tmp_path / "db.duckdb")
    write(store, [b"{bad"])
    counts = _replay(store, [b"{other bad"], originals=[0], first_offset=5)
    assert counts.rejected == {"invalid_json": 1}
    assert _table(store, "SELECT source_offset, replay_status FROM rejects ORDER BY 1") == [(0, None), (5, None)]


def test_memory_limit_caps_duckdb_and_the_index_together_and_bad_sizes_name_the_setting(tmp_path: Path) -> None:
    """DuckDB gets the limit minus what the index holds in memory; a bad size names the setting."""
    store = open_store(tmp_path / "limited.duckdb", memory_limit="400MB")
    assert store._index is not None
    held = store._index.state.memory_bytes()
    assert 140_000_000 <= held < 142_000_000  # block cache 64 MiB, memtables 2.2 x 32 MiB, no files yet
    duckdb_share = store._con.execute("SELECT current_setting('memory_limit')").fetchone()[0]  # type: ignore[index]
    assert float(duckdb_share.removesuffix(" MiB")) == pytest.approx((400_000_000 - held) / 2**20, abs=0.1)
    store.close()
    tiny = open_store(tmp_path / "tiny.duckdb", memory_limit="100MB")  # the index's share would leave nothing: DuckDB keeps 64 MB
    assert tiny._con.execute("SELECT current_setting('memory_limit')").fetchone() == ("61.0 MiB",)
    tiny.close()
    default = open_store(tmp_path / "default.duckdb")
    assert default._con.execute("SELECT current_setting('memory_limit')").fetchone() != ("244.1 MiB",)
    default.close()
    assert check_memory_limit(" 2GiB ") == "2GiB"
    assert check_memory_limit(None) is None
    for bad in ("512", "lots", "1MB", "256MB'; ATTACH 'x"):
        with pytest.raises(ConfigError) as info:
            check_memory_limit(bad)
        expected = "expected a size of at least 64MB with a unit, such as 512MB or 2GiB"
        assert str(info.value) == f"setting memory_limit={bad!r} is invalid: {expected}"  # the command line says --memory-limit


def test_the_index_keeps_its_bloom_filter_across_reopens(tmp_path: Path) -> None:
    """Reopened, the index still filters: the options RocksDB records name the Bloom filter, every time."""
    from streams.store.state import StateStore

    for _ in range(3):
        StateStore(tmp_path / "index").close()
    recorded = sorted((tmp_path / "index").glob("OPTIONS-*"), key=lambda p: int(p.name.split("-")[1]))[-1].read_text()
    assert "filter_policy=bloomfilter" in recorded
    assert "memtable_whole_key_filtering=true" in recorded


def test_offsets_are_read_safely_while_the_writer_works(tmp_path: Path) -> None:
    """kafka-python asks for DuckDB's offsets on its own thread (the rebalance listener) while the
    writer's thread writes and does the DLQ bookkeeping: the two must not share one connection. On a
    shared one the reads failed ("Attempting to execute an unsuccessful or closed pending query
    result") and in the suite a consumer hung for good."""
    import threading

    import polars as pl

    from streams.store.database import SOURCE

    store = open_store(tmp_path / "s.duckdb")
    write(store, [revenue(event_id="a"), revenue(event_id="b")], partition=2, first_offset=40)
    published = pl.DataFrame({"source_topic": ["customs.revenue"], "source_partition": [2], "source_offset": [40], "log_seq": [0]}).select(
        *SOURCE, "log_seq"
    )
    stop, errors, seen = threading.Event(), [], []

    def read() -> None:
        try:
            while not stop.is_set():
                seen.append(store.stored_offsets()[("customs.revenue", 2)])
        except Exception as exc:
            errors.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        for i in range(500):
            store.mark_published(published)
            store.unpublished_rejects()
            if i % 100 == 0:
                write(store, [revenue(event_id=f"n{i}")], partition=2, first_offset=42 + i)
    finally:
        stop.set()
        reader.join(30)
    store.close()
    assert not reader.is_alive() and errors == []
    assert seen and set(seen) <= {42, 43, 143, 243, 343, 443}  # every read a committed offset
    assert seen[-1] == 443
