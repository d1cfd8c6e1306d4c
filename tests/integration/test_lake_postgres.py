"""Readers on other processes, given only a PostgreSQL catalog and the data path, see whole
publications and exact totals while the consumer ingests, and after the consumer is killed with
SIGKILL in the middle of a publication (its Parquet files written, its catalog commit waiting on a
lock the test holds). Real Kafka, real PostgreSQL (Debian's package), real DuckLake."""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from kafka import KafkaProducer

from tests.support.factories import encode, revenue
from tests.support.postgres import Postgres
from tests.support.replicas import NOW, Replica, in_lake, open_publication_with_a_takeover_meanwhile
from tests.support.services import ROOT, ConsumerProcess, wait_until

EVENTS = 6_000


def _send(bootstrap: str, first: int, n: int) -> None:
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    for i in range(first, first + n):
        producer.send("customs.revenue", key=b"03", value=encode(revenue(event_id=f"pg-{i}", amount_vnd=1_000_000 + i)))
    producer.flush()
    producer.close()


def _lake(pg: Postgres) -> tuple[int, int, int]:
    row = pg.psql("SELECT 1")  # the server answers
    assert row == "1"
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, f"postgres:{pg.conninfo}"], capture_output=True, text=True, cwd=ROOT, timeout=60, check=True
    )
    published, rows, total = (int(x) for x in out.stdout.split())
    return published, rows, total


_PROBE = """
import sys, duckdb
from streams.lake import load_extensions
con = duckdb.connect(); load_extensions(con, "ducklake", "postgres")
con.execute(f"ATTACH 'ducklake:{sys.argv[1]}' AS lake (READ_ONLY)")
try:
    print(*con.execute("SELECT (SELECT coalesce(sum(events), 0) FROM lake.lake_publications), (SELECT count(*) FROM lake.revenue), "
                       "(SELECT coalesce(sum(amount_vnd), 0) FROM lake.revenue)").fetchall()[0])
except duckdb.CatalogException:
    print(0, 0, 0)
"""


@pytest.fixture(scope="module")
def server() -> Postgres:
    """One PostgreSQL server for the module's tests (its start is most of a short test's time)."""
    folder = Path(tempfile.mkdtemp(prefix="customs-kpi-pg-"))  # not under pytest's 0700 folder: the postgres user reads it
    os.chmod(folder, 0o755)
    pg = Postgres(folder / "pg").start()
    try:
        yield pg  # type: ignore[misc]
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def postgres(server: Postgres) -> Postgres:
    """A lake catalog database of the test's own on the module's server."""
    return server.new_database(f"lake_{next(_DATABASES)}")


_DATABASES = itertools.count()


def test_readers_see_exact_totals_through_a_kill_mid_publication(
    bootstrap: str, tmp_path: Path, postgres: Postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSWORD", postgres.password)  # the consumer's and the readers' only secret, from the environment
    catalog = f"postgres:{postgres.conninfo}"
    data = tmp_path / "lake-data"
    db = tmp_path / "customs.duckdb"
    args = ("--lake", catalog, "--lake-data", str(data), "--publish-every", "0.5")
    half = EVENTS // 2
    expected_first = sum(1_000_000 + i for i in range(half))
    expected_all = sum(1_000_000 + i for i in range(EVENTS))

    consumer = ConsumerProcess(bootstrap, db, tmp_path / "consumer.log", *args).start()
    assert postgres.password not in (tmp_path / "consumer.log").read_text()  # never logged
    stop = tmp_path / "stop-readers"
    readers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.support.lake_reader", catalog, str(stop), str(tmp_path / f"reader{i}.json")],
            cwd=ROOT,
        )
        for i in range(3)
    ]
    _send(bootstrap, 0, half)
    assert wait_until(lambda: _lake(postgres)[1] == half, 60, "the first half in the lake")
    assert _lake(postgres) == (half, half, expected_first)

    # Hold the catalog's snapshot table against writes (reads go on): the next publication writes
    # its Parquet files, then waits at its commit. Kill the consumer there.
    lock = postgres.session()
    assert lock.stdin is not None and lock.stdout is not None
    lock.stdin.write("BEGIN;\nLOCK TABLE ducklake_snapshot IN EXCLUSIVE MODE;\nSELECT 'locked';\n")
    lock.stdin.flush()
    assert wait_until(lambda: lock.stdout.readline().strip() == "locked", 30, "the lock")  # type: ignore[union-attr]
    files_before = len(list(data.rglob("*.parquet")))
    _send(bootstrap, half, half)
    waiting = "SELECT count(*) FROM pg_stat_activity WHERE usename = 'kpi' AND wait_event_type = 'Lock'"
    wait_until(lambda: postgres.psql(waiting, superuser=True, database=postgres.database) != "0", 60, "a publication waiting at its commit")
    assert len(list(data.rglob("*.parquet"))) > files_before  # its files are written: it is mid-publication
    consumer.kill()  # SIGKILL
    lock.stdin.write("ROLLBACK;\n")
    lock.stdin.close()
    lock.wait(timeout=30)
    assert _lake(postgres) == (half, half, expected_first)  # the killed publication left nothing visible

    restarted = ConsumerProcess(bootstrap, db, tmp_path / "consumer2.log", *args).start()
    wait_until(lambda: _lake(postgres)[1] >= EVENTS, 90, "every event in the lake")
    assert restarted.stop() == 0
    assert _lake(postgres) == (EVENTS, EVENTS, expected_all)  # exact: nothing lost, nothing twice

    stop.touch()
    reports = []
    for i, reader in enumerate(readers):
        assert reader.wait(timeout=60) == 0
        reports.append(json.loads((tmp_path / f"reader{i}.json").read_text()))
    for report in reports:
        assert report["failures"] == [] and report["partial"] == 0 and report["backwards"] == 0, report
        assert report["last"] == [EVENTS, EVENTS, expected_all], report
        assert len(report["seen"]) >= 2 and report["seen"][-1] == EVENTS, report  # it read while the lake grew


def test_a_readers_statements_on_the_catalog_server_stop_there(tmp_path: Path, postgres: Postgres, monkeypatch: pytest.MonkeyPatch) -> None:
    """A reader's session bounds what it runs on the PostgreSQL catalog on the server itself
    (statement_timeout), not only in DuckDB: a statement that would sleep 20 s there is cancelled by
    the server. The sandbox refuses postgres_query to users; this calls it on the session directly."""
    from datetime import UTC, datetime

    import duckdb

    from streams.config import lake_for
    from streams.kpi.targets import load_targets
    from streams.lake import LakeWriter
    from streams.read import open_lake
    from streams.store import write_reference
    from tests.support.stores import Feed

    monkeypatch.setenv("PGPASSWORD", postgres.password)
    feed = Feed(tmp_path / "customs.duckdb")
    write_reference(feed.store, load_targets())
    lake = lake_for(feed.path, f"postgres:{postgres.conninfo}", str(tmp_path / "lake-data"))
    writer = LakeWriter(feed.store, lake)
    feed.write(revenue=[revenue(event_id="t1", amount_vnd=5)])
    assert writer.publish(datetime.now(UTC), reference=True) is not None
    writer.close()
    opened = open_lake(lake, catalog_timeout_s=2)
    assert opened is not None
    con, _source = opened
    try:
        metadata = "__ducklake_metadata_lake"
        assert con.execute(
            f"SELECT * FROM postgres_query('{metadata}', 'SELECT current_setting(''statement_timeout'') AS t')"
        ).fetchall() == [("2s",)]
        with pytest.raises(duckdb.Error, match="statement timeout"):
            con.execute(f"SELECT * FROM postgres_query('{metadata}', 'SELECT pg_sleep(20)')").fetchall()
        assert con.execute("SELECT count(*), sum(amount_vnd) FROM revenue").fetchall() == [(1, 5)]  # reading goes on
    finally:
        con.close()
    feed.store.close()


def test_a_commit_that_holds_a_row_another_writer_changed_fails_whole(
    tmp_path: Path, postgres: Postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The DuckLake behaviour a fenced publisher relies on (issue 23), pinned on a PostgreSQL catalog:
    two writers' sessions on one lake; a transaction that updates a row which the other writer changed
    and committed after it began fails at its commit and leaves none of its rows; one that only
    appends commits. A DuckLake release that changed this would fail here first."""
    import duckdb

    from streams.config import lake_for
    from streams.lake import attach

    monkeypatch.setenv("PGPASSWORD", postgres.password)
    lake = lake_for(tmp_path / "x.duckdb", f"postgres:{postgres.conninfo}", str(tmp_path / "lake-data"))
    old, new = duckdb.connect(), duckdb.connect()
    attach(old, lake, read_only=False)
    attach(new, lake, read_only=False)
    old.execute("CREATE TABLE lake.leader (epoch BIGINT, replica VARCHAR)")
    old.execute("INSERT INTO lake.leader VALUES (1, 'a')")
    old.execute("CREATE TABLE lake.rows (x INTEGER)")

    old.execute("BEGIN")
    assert old.execute("SELECT epoch, replica FROM lake.leader").fetchall() == [(1, "a")]  # a's snapshot: still the leader
    old.execute("UPDATE lake.leader SET replica = 'a' WHERE epoch = 1")  # holding its epoch
    old.execute("INSERT INTO lake.rows SELECT range FROM range(100)")
    new.execute("UPDATE lake.leader SET epoch = 2, replica = 'b'")  # b takes over, committed at once
    with pytest.raises(duckdb.TransactionException, match="Failed to commit DuckLake transaction"):
        old.execute("COMMIT")
    assert new.execute("SELECT (SELECT count(*) FROM lake.rows), (SELECT epoch FROM lake.leader)").fetchall() == [(0, 2)]

    old.execute("BEGIN")  # without holding the row, nothing stops the old writer: holding it is the fence
    old.execute("INSERT INTO lake.rows SELECT range FROM range(100)")
    new.execute("UPDATE lake.leader SET epoch = 3, replica = 'b'")
    old.execute("COMMIT")
    assert new.execute("SELECT (SELECT count(*) FROM lake.rows), (SELECT epoch FROM lake.leader)").fetchall() == [(100, 3)]
    old.close()
    new.close()


def test_a_leader_whose_lead_is_taken_mid_publication_commits_nothing(
    tmp_path: Path, postgres: Postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fence at its narrowest, on the catalog a pair shares: b takes the lead while a's
    publication is open (its rows written, its commit not yet made). b's take lands; a's commit
    fails, and the lake holds none of its rows; a's next publication is refused."""
    import duckdb

    from streams.config import lake_for
    from streams.errors import LakeFencedError

    monkeypatch.setenv("PGPASSWORD", postgres.password)
    lake = lake_for(tmp_path / "a.duckdb", f"postgres:{postgres.conninfo}", str(tmp_path / "lake-data"))
    a, b = Replica(tmp_path / "a.duckdb", lake, "a"), Replica(tmp_path / "b.duckdb", lake, "b")
    try:
        raised = open_publication_with_a_takeover_meanwhile(a, b, monkeypatch)
        with pytest.raises(duckdb.TransactionException, match="Failed to commit DuckLake transaction"):
            a.writer.publish(NOW, reference=False)
        assert raised == []
        assert in_lake(lake, "SELECT count(*) FROM revenue") == [(10,)]
        assert in_lake(lake, "SELECT epoch, replica FROM lake_leader") == [(2, "b")]
        monkeypatch.undo()
        monkeypatch.setenv("PGPASSWORD", postgres.password)  # undone with the rest
        with pytest.raises(LakeFencedError, match="replica b leads it since epoch 2"):
            a.writer.publish(NOW, reference=False)
    finally:
        a.close()
        b.close()


def test_a_store_restored_from_the_lake_after_a_kill_ends_exact(
    bootstrap: str, tmp_path: Path, postgres: Postgres, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The consumer is SIGKILLed while events flow and its folder deleted (store and index); the store is
    restored from the lake (PostgreSQL catalog) and the consumer restarted on it: it reads again from
    the lake's offsets, so the lake and the store end with every event once, duplicates sent again
    after the restore counted as duplicates, and `verify` finds nothing."""
    monkeypatch.setenv("PGPASSWORD", postgres.password)
    catalog = f"postgres:{postgres.conninfo}"
    lake_args = ("--lake", catalog, "--lake-data", str(tmp_path / "lake-data"))
    db = tmp_path / "replica" / "customs.duckdb"
    db.parent.mkdir()
    half = EVENTS // 2
    consumer = ConsumerProcess(bootstrap, db, tmp_path / "consumer.log", *lake_args, "--publish-every", "0.5").start()
    _send(bootstrap, 0, half)
    assert wait_until(lambda: _lake(postgres)[1] == half, 60, "the first half in the lake")
    _send(bootstrap, half, half // 2)  # in flight: some stored, maybe some published, when the process dies
    consumer.kill()
    shutil.rmtree(db.parent)  # the disk is lost; the lake is on the catalog's server and the shared data path

    restored = subprocess.run(
        [sys.executable, "-m", "streams", "restore", "--from-lake", "--db", str(db), *lake_args], capture_output=True, text=True, cwd=ROOT
    )
    assert restored.returncode == 0, restored.stderr
    in_lake = _lake(postgres)[1]
    assert f"restored {in_lake:,} events" in restored.stdout and half <= in_lake <= half + half // 2

    again = ConsumerProcess(bootstrap, db, tmp_path / "consumer2.log", *lake_args, "--publish-every", "0.5").start()
    _send(bootstrap, half + half // 2, EVENTS - half - half // 2)
    _send(bootstrap, 0, 100)  # duplicates of events the restored store holds from the lake
    expected = sum(1_000_000 + i for i in range(EVENTS))
    assert wait_until(lambda: _lake(postgres)[1] >= EVENTS, 90, "every event in the lake")
    assert again.stop() == 0
    assert _lake(postgres) == (EVENTS, EVENTS, expected)  # every event once: none lost with the store, none twice
    checked = subprocess.run(
        [sys.executable, "-m", "streams", "verify", "--db", str(db), *lake_args], capture_output=True, text=True, cwd=ROOT
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    import duckdb

    store = duckdb.connect(str(db), read_only=True)
    try:
        assert store.execute("SELECT (SELECT count(*) FROM revenue), (SELECT count(*) FROM duplicates)").fetchall() == [(EVENTS, 100)]
    finally:
        store.close()
