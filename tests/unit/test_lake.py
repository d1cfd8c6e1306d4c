"""The analysts' lake: publications exactly once (also when the lake's commit fails), incremental,
reject changes and reference tables carried over, readers sandboxed on it, time travel. Real
DuckDB, real DuckLake with a SQLite catalog, real RocksDB index."""

from __future__ import annotations

import shutil
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from streams.config import lake_for
from streams.errors import ConfigError, QueryRefused
from streams.kpi.targets import load_targets
from streams.lake import LakeWriter, attach, lake_offsets, restore_from_lake
from streams.read import open_sandbox, run_query
from streams.read.verify import verify_store
from streams.store import sql_dir, sqlfiles, write_reference
from tests.support.factories import declaration, revenue, seizure
from tests.support.sqlcover import covers
from tests.support.stores import Feed, run_cli

NOW = datetime(2021, 7, 1, 3, tzinfo=UTC)
TOTALS = (
    "SELECT (SELECT count(*) FROM revenue), (SELECT coalesce(sum(amount_vnd), 0) FROM revenue), "
    "(SELECT count(*) FROM declarations), (SELECT count(*) FROM seizures), (SELECT count(*) FROM rejects), "
    "(SELECT coalesce(sum(amount_vnd), 0) FROM agg_revenue_day), (SELECT count(*) FROM agg_revenue_day)"
)


@pytest.fixture
def feed(tmp_path: Path) -> Feed:
    f = Feed(tmp_path / "customs.duckdb")
    write_reference(f.store, load_targets())
    return f


def _revenue(n: int, start: int, day: int = 1) -> list[dict]:  # type: ignore[type-arg]
    return [
        revenue(event_id=f"r{start + i}", amount_vnd=1_000_000 + start + i, occurred_at=f"2021-06-{day:02d}T09:{i % 60:02d}:00+07:00")
        for i in range(n)
    ]


def _lake_totals(feed: Feed, **at: object) -> tuple:  # type: ignore[type-arg]
    con, _ = open_sandbox(feed.path, lake_for(feed.path), **at)  # type: ignore[arg-type]
    try:
        return con.execute(TOTALS).fetchall()[0]
    finally:
        con.close()


@covers(
    "lake/create_publications",
    "lake/table_columns",
    "lake/watermark",
    "lake/append_events",
    "lake/append_unsequenced",
    "lake/copy_table",
    "lake/record_publication",
)
def test_publications_append_what_is_new_exactly_once(feed: Feed) -> None:
    writer = LakeWriter(feed.store, lake_for(feed.path))
    feed.write(revenue=_revenue(50, 0), declaration=[declaration(event_id="d1")], seizure=[seizure(event_id="s1")])
    first = writer.publish(NOW, reference=True)
    assert first is not None and first.events == 52 and first.batch_seq == 1
    assert _lake_totals(feed) == feed.rows(TOTALS)[0]
    assert writer.publish(NOW, reference=True) is None  # nothing new: no empty snapshot
    feed.write(revenue=[*_revenue(30, 50, day=2), b"{not json", _revenue(1, 0)[0]])  # 30 new, a reject, a duplicate
    second = writer.publish(NOW + timedelta(seconds=5), reference=False)
    assert second is not None and (second.events, second.rejects, second.batch_seq) == (30, 1, 2)
    assert second.version > first.version
    assert _lake_totals(feed) == feed.rows(TOTALS)[0]
    (count, total, *_) = _lake_totals(feed)
    assert count == 80 and total == sum(1_000_000 + i for i in range(80))
    # The first publication is still there to read: time travel.
    assert _lake_totals(feed, version=first.version)[:2] == (50, sum(1_000_000 + i for i in range(50)))


def _fail_at_the_watermark(writer: LakeWriter, now: datetime, monkeypatch: pytest.MonkeyPatch) -> None:
    """A publication that fails as it records its watermark, every row of its batches appended by then."""
    real = sqlfiles.statement

    def failing(name: str, **fill: str) -> str:
        if name == "lake/record_publication":
            raise OSError("disk full")
        return real(name, **fill)

    monkeypatch.setattr(sqlfiles, "statement", failing)
    with pytest.raises(OSError):
        writer.publish(now, reference=False)
    monkeypatch.undo()


def test_a_failed_lake_commit_loses_and_doubles_nothing(feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    """The consumer's crash between its DuckDB commit and the lake's commit: the lake keeps its
    last publication whole, and the next publication, from the lake's own watermark, is exact."""
    writer = LakeWriter(feed.store, lake_for(feed.path))
    feed.write(revenue=_revenue(20, 0))
    writer.publish(NOW, reference=True)
    feed.write(revenue=_revenue(20, 20, day=3))
    _fail_at_the_watermark(writer, NOW, monkeypatch)
    assert _lake_totals(feed)[0] == 20  # the failed transaction left nothing
    feed.write(revenue=_revenue(5, 40, day=4))
    restarted = LakeWriter(feed.store, lake_for(feed.path))  # a new process: the watermark comes from the lake
    done = restarted.publish(NOW, reference=True)
    assert done is not None and done.events == 25
    assert _lake_totals(feed) == feed.rows(TOTALS)[0]


@covers("lake/stale_rejects", "lake/delete_changed_rejects", "lake/append_rejects")
def test_changed_rejects_and_reference_tables_are_written_again(feed: Feed) -> None:
    writer = LakeWriter(feed.store, lake_for(feed.path))
    feed.write(revenue=[b"{bad", b"[]", *_revenue(3, 0)])
    writer.publish(NOW, reference=True)
    feed.store.mark_published(feed.store.unpublished_rejects())  # the DLQ copied them: a change to old rows
    done = writer.publish(NOW, reference=False)
    assert done is not None and (done.events, done.rejects) == (0, 2)
    con, _ = open_sandbox(feed.path, lake_for(feed.path))
    try:
        assert con.execute("SELECT count(*), count(*) FILTER (dlq_published) FROM rejects").fetchall() == [(2, 2)]
        assert con.execute("SELECT count(*) FROM departments").fetchall() == [(35,)]
    finally:
        con.close()
    with feed.store.reader() as store:
        store.execute("UPDATE departments SET name_en = 'Renamed' WHERE code = '03'")
    assert writer.publish(NOW, reference=False) is None  # reference tables are compared when asked (at start)
    assert writer.publish(NOW, reference=True) is not None
    con, _ = open_sandbox(feed.path, lake_for(feed.path))
    try:
        assert con.execute("SELECT name_en FROM departments WHERE code = '03'").fetchall() == [("Renamed",)]
    finally:
        con.close()


def test_every_publication_statement_runs(feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    """The statements of sql/lake/ are each run by publications (first, incremental, changes) and upkeep."""
    used: set[str] = set()
    real = sqlfiles.statement

    def recording(name: str, **fill: str) -> str:
        used.add(name)
        return real(name, **fill)

    monkeypatch.setattr(sqlfiles, "statement", recording)
    writer = LakeWriter(feed.store, lake_for(feed.path))
    feed.write(revenue=[b"{", *_revenue(2, 0)])
    writer.publish(NOW, reference=True)
    feed.store.mark_published(feed.store.unpublished_rejects())
    feed.write(revenue=_revenue(2, 2))
    with feed.store.reader() as store:
        store.execute("UPDATE targets SET amount_vnd = amount_vnd + 1 WHERE scope = '03'")
    writer.publish(NOW, reference=True)
    writer.maintain(NOW)
    files = {str(p.relative_to(sql_dir()).with_suffix("")) for p in (sql_dir() / "lake").glob("*.sql")}
    assert files - used == set()


@covers("lake/delete_revenue_days", "lake/append_revenue_days")
def test_the_revenue_aggregate_of_touched_days_is_rewritten(feed: Feed) -> None:
    writer = LakeWriter(feed.store, lake_for(feed.path))
    feed.write(revenue=_revenue(10, 0, day=1) + _revenue(10, 10, day=2))
    writer.publish(NOW, reference=True)
    feed.write(revenue=_revenue(5, 20, day=2))  # day 2 again: its aggregate row changes
    writer.publish(NOW, reference=False)
    query = "SELECT day, department_code, tax_type, kind, receipts, amount_vnd FROM agg_revenue_day ORDER BY ALL"
    con, _ = open_sandbox(feed.path, lake_for(feed.path))
    try:
        assert con.execute(query).fetchall() == feed.rows(query)
        assert [r[4] for r in con.execute(query).fetchall()] == [10, 15]
    finally:
        con.close()


def test_readers_of_the_lake_are_sandboxed(feed: Feed, tmp_path: Path) -> None:
    LakeWriter(feed.store, lake_for(feed.path)).publish(NOW, reference=True)
    outside = tmp_path / "outside.csv"
    outside.write_text("a\n1\n")
    con, source = open_sandbox(feed.path, lake_for(feed.path))
    try:
        assert not source.live and source.version is not None and source.taken_at == NOW
        for sql, words in [
            (f"SELECT * FROM read_csv('{outside}')", "not allowed"),
            ("INSERT INTO revenue SELECT * FROM revenue", "only SELECT"),
            ("COPY revenue TO 'x.csv'", "only SELECT"),
            ("SET enable_external_access = true", "only SELECT"),
            ("SELECT * FROM duckdb_settings() WHERE name = 'x'; SET threads = 4", "exactly one statement"),
            ("SELECT * FROM ducklake_expire_snapshots('lake', older_than => now())", "read-only"),  # a SELECT that would write
        ]:
            with pytest.raises(QueryRefused, match=words):
                run_query(con, source, sql)
        with pytest.raises(duckdb.Error):  # the session's own settings are locked too
            con.execute("SET enable_external_access = true")
        assert run_query(con, source, "SELECT count(*) AS n FROM revenue_monthly").frame["n"].to_list() == [0]
    finally:
        con.close()


def test_before_any_publication_readers_get_the_database_or_a_clear_error(feed: Feed) -> None:
    lake = lake_for(feed.path)
    feed.store.close()
    con, source = open_sandbox(feed.path, lake)  # no lake yet, and no consumer holds the file
    assert source.live
    con.close()
    with pytest.raises(QueryRefused, match="time travel reads the lake"):
        open_sandbox(feed.path, lake, version=1)


@pytest.mark.parametrize(
    ("setting", "words"),
    [
        ("mysql:host=x", "sqlite:<catalog file> or postgres:"),
        ("postgres:dbname=lake password=secret", "no password in the setting"),
        ("sqlite:", "sqlite:<catalog file> or postgres:"),
    ],
)
def test_lake_settings_are_checked(tmp_path: Path, setting: str, words: str) -> None:
    with pytest.raises(ConfigError, match=words) as caught:
        lake_for(tmp_path / "c.duckdb", setting)
    assert "secret" not in str(caught.value)


def test_default_lake_and_postgres_settings(tmp_path: Path) -> None:
    lake = lake_for(tmp_path / "customs.duckdb")
    assert lake.catalog == f"sqlite:{tmp_path}/customs.lake/catalog.sqlite" and lake.data_path == f"{tmp_path}/customs.lake/data/"
    pg = lake_for(tmp_path / "customs.duckdb", "postgres:dbname=lake host=127.0.0.1", "s3://bucket/lake")
    assert (pg.catalog, pg.data_path, pg.extensions) == (
        "postgres:dbname=lake host=127.0.0.1",
        "s3://bucket/lake/",
        ("ducklake", "postgres"),
    )


@covers("lake/expired_versions")
def test_upkeep_keeps_the_retained_snapshots_readable_and_bounds_the_files(feed: Feed) -> None:
    """Publications every 15 minutes for 3 hours, then upkeep two days later: the last snapshot of each
    hour (within the week) stays readable with its exact totals; the small files are merged and the rest deleted."""
    writer = LakeWriter(feed.store, lake_for(feed.path))
    start = datetime(2021, 7, 1, 0, 2, tzinfo=UTC)
    totals = {}
    for i in range(12):  # 3 hours, one publication every 15 minutes
        feed.write(revenue=_revenue(30, 30 * i, day=1 + i % 28))  # 30 rows: a file (DuckLake keeps a few rows in its catalog)
        done = writer.publish(start + timedelta(minutes=15 * i), reference=i == 0)
        assert done is not None
        totals[done.version] = _lake_totals(feed)[:2]
    with feed.store.reader() as con:  # DuckLake stamps snapshots with the wall clock: spread them over the hours
        con.execute(f"ATTACH '{lake_for(feed.path).catalog.removeprefix('sqlite:')}' AS catalog (TYPE sqlite)")
        for version in totals:
            con.execute(
                "UPDATE catalog.ducklake_snapshot SET snapshot_time = $t WHERE snapshot_id = $v",
                {"t": start + timedelta(minutes=15 * (version - min(totals))), "v": version},
            )
        con.execute("DETACH catalog")
    data = Path(lake_for(feed.path).data_path)
    before = len(list(data.rglob("*.parquet")))
    upkeep = writer.maintain(start + timedelta(days=2))  # older than a day: the last of each hour stays
    hour_ends = [v for v in totals if (v - min(totals)) % 4 == 3]  # 00:47, 01:47 and 02:47
    assert upkeep.expired == len(totals) - len(hour_ends)  # the lake's first snapshots, stamped today, are recent
    for version in hour_ends:
        assert _lake_totals(feed, version=version)[:2] == totals[version]
    again = writer.maintain(start + timedelta(days=2), grace=timedelta(0))
    after = len(list(data.rglob("*.parquet")))
    assert upkeep.merged >= 12 and upkeep.removed + again.removed >= 12 and after <= before // 2, (upkeep, again, before, after)
    for version in hour_ends:  # still exact, from the merged files
        assert _lake_totals(feed, version=version)[:2] == totals[version]


def test_the_lake_commands(feed: Feed, tmp_path: Path) -> None:
    """sql --version/--at (time travel), lake views, lake maintain and snapshot --to, as a user runs them."""
    writer = LakeWriter(feed.store, lake_for(feed.path))
    feed.write(revenue=_revenue(10, 0))
    first = writer.publish(NOW, reference=True)
    feed.write(revenue=_revenue(5, 10, day=2))
    writer.publish(NOW, reference=False)
    writer.close()
    feed.store.close()  # as when no consumer runs: the commands read the lake all the same
    db = str(feed.path)
    count = "SELECT count(*) AS n FROM revenue"
    assert run_cli("sql", "--db", db, count, "--format", "csv").stdout.split() == ["n", "15"]
    assert first is not None
    then = run_cli("sql", "--db", db, count, "--format", "csv", "--version", str(first.version))
    assert then.stdout.split() == ["n", "10"] and f"at version {first.version}" in then.stderr
    earlier = run_cli("sql", "--db", db, count, "--format", "csv", "--at", "2000-01-01T00:00")
    assert earlier.returncode == 5 and "2000-01-01" in earlier.stderr  # no snapshot that old: a clear refusal
    views = run_cli("lake", "views", "--db", db).stdout
    assert views.count("CREATE OR REPLACE TEMP VIEW") == 13 and views.count("CREATE OR REPLACE TEMP MACRO") == 10
    assert views.index("MACRO local_time") < views.index("VIEW revenue_daily")
    session = run_cli("lake", "views", "--attach", "--db", db).stdout
    assert session.startswith("LOAD '") and f"ATTACH 'ducklake:{lake_for(feed.path).catalog}' AS lake (READ_ONLY);\nUSE lake;" in session
    con = duckdb.connect()  # a session of one's own, as the DuckDB CLI runs the file
    try:
        for statement in duckdb.extract_statements(session):
            con.execute(statement.query)
        assert con.execute("SELECT sum(net_vnd) FROM revenue_monthly").fetchall() == [(sum(1_000_000 + i for i in range(15)),)]
    finally:
        con.close()
    maintained = run_cli("lake", "maintain", "--db", db)
    assert maintained.returncode == 0 and "snapshots expired" in maintained.stdout
    portable = tmp_path / "portable.duckdb"
    assert run_cli("snapshot", "--to", str(portable), "--db", db).stdout.strip() == f"wrote {portable}: 15 events"
    con = duckdb.connect(str(portable), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM revenue_monthly").fetchall()[0][0] > 0
        assert con.execute("SELECT lake_version FROM snapshot_info").fetchall()[0][0] > first.version
    finally:
        con.close()
    again = run_cli("snapshot", "--to", str(portable), "--db", db)
    assert again.returncode == 2 and "a file that does not exist yet" in again.stderr


def test_a_reader_may_read_the_lake_and_nothing_beside_it(feed: Feed) -> None:
    """The sandbox lets the lake's data folder and catalog file through, not their neighbours."""
    writer = LakeWriter(feed.store, lake_for(feed.path))
    writer.publish(NOW, reference=True)
    neighbour = lake_for(feed.path).catalog.removeprefix("sqlite:") + ".notes.csv"
    Path(neighbour).write_text("secret\n1\n")
    con, source = open_sandbox(feed.path, lake_for(feed.path))
    try:
        with pytest.raises(QueryRefused, match="not allowed"):
            run_query(con, source, f"SELECT * FROM read_csv('{neighbour}')")
        with pytest.raises(QueryRefused, match="not allowed"):
            run_query(con, source, f"SELECT * FROM read_csv('{feed.path}')")  # the store itself
        feed.write(revenue=_revenue(7, 0))
        writer.publish(NOW, reference=False)
        # A session reads the one publication its source names; a new session reads the newer one.
        assert run_query(con, source, "SELECT count(*) AS n FROM revenue").frame["n"].to_list() == [0]
    finally:
        con.close()
    con, newer = open_sandbox(feed.path, lake_for(feed.path))
    try:
        assert newer.version is not None and source.version is not None and newer.version > source.version
        assert run_query(con, newer, "SELECT count(*) AS n FROM revenue").frame["n"].to_list() == [7]
    finally:
        con.close()


def test_every_view_and_ready_query_runs_on_the_lake(feed: Feed) -> None:
    feed.write(
        revenue=_revenue(5, 0),
        declaration=[
            declaration(event_id="d1", declaration_no="100000000001", status="registered", occurred_at="2021-06-01T08:00:00+07:00"),
            declaration(event_id="d2", declaration_no="100000000001", status="cleared", occurred_at="2021-06-01T10:00:00+07:00"),
        ],
        seizure=[seizure(event_id="s1")],
    )
    LakeWriter(feed.store, lake_for(feed.path)).publish(NOW, reference=True)
    con, source = open_sandbox(feed.path, lake_for(feed.path))
    try:
        views = [name for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE temporary AND NOT internal").fetchall()]
        assert len(views) == 13
        for view in views:
            run_query(con, source, f"SELECT * FROM {view}")
        for query in sorted((sql_dir() / "queries").glob("*.sql")):
            run_query(con, source, query.read_text(), params={"as_of": NOW})
        assert run_query(con, source, "SELECT sum(net_vnd) AS n FROM revenue_monthly").frame["n"].to_list() == [
            sum(1_000_000 + i for i in range(5))
        ]
        assert run_query(con, source, "SELECT count(*) AS n FROM release_times").frame["n"].to_list() == [1]
    finally:
        con.close()


@covers("lake/read/event_clock")
def test_a_briefing_reads_one_lake_version_and_says_which(feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    """The consumer publishes between the briefing's first query (the headline) and the next ones (the
    league and the rest): every figure still comes from the version the briefing opened, and the page
    names it. Before, each query read the newest publication and the headline and league disagreed."""
    from datetime import date

    from streams.report import briefing as briefing_module

    writer = LakeWriter(feed.store, lake_for(feed.path))
    feed.write(revenue=_revenue(5, 0))
    writer.publish(NOW, reference=True)
    con, source = open_sandbox(feed.path, lake_for(feed.path))
    real_rows, calls = briefing_module._rows, []

    def publish_after_the_headline(*args: object, **kwargs: object) -> list:  # type: ignore[type-arg]
        rows = real_rows(*args, **kwargs)  # type: ignore[arg-type]
        calls.append(args[2])
        if args[2] == "national":  # the consumer publishes 7 more events now
            feed.write(revenue=_revenue(7, 100))
            writer.publish(NOW, reference=False)
        return rows

    monkeypatch.setattr(briefing_module, "_rows", publish_after_the_headline)
    try:
        b = briefing_module.gather(con, source, date(2021, 6, 30))
    finally:
        con.close()
    assert calls[0] == "national" and "league" in calls
    first_five = sum(1_000_000 + i for i in range(5))
    assert [r.ytd_vnd for r in b.national] == [first_five] * len(b.national)
    assert sum(r.ytd_vnd for r in b.league) == first_five  # not the 12 events of the newer version
    assert f"at version {source.version}," in b.freshness
    assert _lake_totals(feed)[0] == 12  # the newer version is there for the next reader


def test_upkeep_deletes_merged_files_only_after_their_grace_on_the_wall_clock(feed: Feed) -> None:
    """Files merged away stay, byte for byte, for the grace (running reads finish); past it, upkeep deletes
    them. DuckLake on a SQLite catalog compared the schedule by its day and deleted them at once."""
    import time
    from datetime import timedelta

    from streams.lake import ALIAS, maintain

    writer = LakeWriter(feed.store, lake_for(feed.path))
    for k in range(4):  # four publications of 3,000 events: four small files of revenue, merged by upkeep
        feed.write(revenue=_revenue(3000, k * 3000))
        writer.publish(NOW, reference=k == 0)
    data = Path(lake_for(feed.path).data_path)

    def files() -> dict[str, int]:
        return {str(f.relative_to(data)): f.stat().st_size for f in data.rglob("*.parquet")}

    before = files()
    upkeep = writer.maintain(NOW, grace=timedelta(seconds=3))
    assert upkeep.merged >= 4 and upkeep.removed == 0
    after = files()
    assert {name: size for name, size in after.items() if name in before} == before  # every file still there, unchanged
    con = writer._con
    assert con is not None
    (scheduled,), *_ = con.execute(f"SELECT count(*) FROM __ducklake_metadata_{ALIAS}.ducklake_files_scheduled_for_deletion").fetchall()
    assert scheduled >= 4
    time.sleep(3.5)  # past the grace on the wall clock
    upkeep = maintain(con, NOW, grace=timedelta(seconds=3))
    assert upkeep.removed == scheduled
    assert len(files()) == len(after) - scheduled
    assert _lake_totals(feed)[:2] == (12_000, sum(1_000_000 + i for i in range(12_000)))


@covers("lake/mirrored_store")
def test_a_lake_refuses_another_store_and_a_store_restored_from_an_older_copy(feed: Feed, tmp_path: Path) -> None:
    """The lake records which store it mirrors. A store recreated at the same path (a new store id) or
    restored from an older copy (it holds fewer batches than the lake) is refused with a clear error and
    the lake left as it was; `rebuild` replaces the lake's contents with the store's, in one transaction."""
    import shutil

    from streams.errors import LakeMismatchError

    lake = lake_for(feed.path)
    writer = LakeWriter(feed.store, lake)
    feed.write(revenue=_revenue(5, 0))
    writer.publish(NOW, reference=True)
    writer.close()
    feed.store.close()
    shutil.copy(feed.path, tmp_path / "older.duckdb")  # a backup after batch 1
    feed.store = open_store_again(feed.path)
    writer = LakeWriter(feed.store, lake)
    feed.write(revenue=_revenue(3, 100))
    writer.publish(NOW, reference=False)
    writer.close()
    assert _lake_totals(feed)[0] == 8

    # Restored from the older copy: batch 1 only, the lake holds batch 2.
    feed.store.close()
    shutil.copy(tmp_path / "older.duckdb", feed.path)
    feed.store = open_store_again(feed.path)
    writer = LakeWriter(feed.store, lake)
    with pytest.raises(LakeMismatchError, match=r"holds this store up to batch 2, and the store holds batches only up to 1"):
        writer.publish(NOW, reference=False)
    assert _lake_totals(feed)[0] == 8  # untouched

    # Recreated: a new store at the same path (its own store id).
    feed.store.close()
    feed.path.unlink()
    feed.store = open_store_again(feed.path)
    write_reference(feed.store, load_targets())
    feed.offsets.clear()
    feed.write(revenue=_revenue(2, 500))
    writer = LakeWriter(feed.store, lake)
    with pytest.raises(LakeMismatchError, match=r"its publications come from store .+, and this is store .+"):
        writer.publish(NOW, reference=True)
    assert _lake_totals(feed)[0] == 8

    done = writer.rebuild(NOW)
    assert (done.events, done.batch_seq) == (2, 1)
    assert _lake_totals(feed)[:2] == (2, sum(1_000_000 + 500 + i for i in range(2)))
    feed.write(revenue=_revenue(4, 600))
    assert writer.publish(NOW, reference=False) is not None  # publishing goes on from the rebuilt lake
    writer.close()
    assert _lake_totals(feed)[0] == 6


def _published_and_stopped(feed: Feed, events: int) -> None:
    """`events` revenue events stored and published, then the store closed, as when no consumer runs."""
    writer = LakeWriter(feed.store, lake_for(feed.path))
    feed.write(revenue=_revenue(events, 0))
    writer.publish(NOW, reference=True)
    writer.close()
    feed.store.close()


def open_store_again(path: Path):  # type: ignore[no-untyped-def]
    from streams.store import open_store

    return open_store(path)


def test_aggregates_rebuild_reaches_the_lake(feed: Feed) -> None:
    """customs-kpi aggregates rebuild recomputes the store's aggregates and brings the lake's copy in line."""
    _published_and_stopped(feed, 5)
    con = duckdb.connect(":memory:")  # an aggregate row of the lake wrong, as an older release could have left it
    attach(con, lake_for(feed.path), read_only=False)
    con.execute("UPDATE lake.agg_revenue_day SET amount_vnd = 1")
    con.close()
    result = subprocess.run(
        [sys.executable, "-m", "streams", "aggregates", "rebuild", "--db", str(feed.path)], capture_output=True, text=True, check=True
    )
    assert "rebuilt the aggregates" in result.stdout and "rebuilt the lake" in result.stdout
    feed.store = open_store_again(feed.path)
    assert _lake_totals(feed)[5] == sum(1_000_000 + i for i in range(5))  # the lake's agg_revenue_day sum


def _fingerprint(folder: Path) -> dict[str, tuple[int, str]]:
    """Every file under the lake's folder (catalog and data): its size and the SHA-256 of its bytes."""
    import hashlib

    return {
        str(f.relative_to(folder)): (f.stat().st_size, hashlib.sha256(f.read_bytes()).hexdigest()) for f in folder.rglob("*") if f.is_file()
    }


def test_a_reader_changes_no_byte_of_the_lake_and_reads_nothing_around_its_catalog(feed: Feed) -> None:
    """Every way a SELECT could write, delete or read files beside the catalog, tried three times
    through the sandbox (as customs-kpi sql runs it): each refused or failed, and every file of the
    lake (names, sizes, bytes) as it was. Small publications left rows inlined in the catalog and
    small files to merge, so each upkeep function had work it could have done."""
    from datetime import timedelta

    writer = LakeWriter(feed.store, lake_for(feed.path))
    for k in range(4):
        feed.write(revenue=_revenue(3 if k == 3 else 3000, k * 3000))  # files to merge, then three rows inlined
        writer.publish(NOW, reference=k == 0)
        if k == 1:  # two files merged into one; the two wait out their grace, scheduled for deletion
            assert writer.maintain(NOW, grace=timedelta(hours=1)).merged == 2
    writer.close()
    lake = lake_for(feed.path)
    folder = Path(lake.data_path).parent
    data = lake.data_path.rstrip("/")
    before = _fingerprint(folder)
    assert sum(name.startswith("data/main/revenue/") for name in before) == 4  # 2 scheduled, the merged one, a new one
    cleanup_all = "SELECT * FROM ducklake_cleanup_old_files(''lake'', cleanup_all => true)"
    attempts = [
        f"SELECT * FROM json_execute_serialized_sql(json_serialize_sql('{cleanup_all}'))",  # SQL in a parse tree
        "SELECT * FROM __ducklake_metadata_lake.ducklake_data_file",
        "SELECT * FROM ducklake_flush_inlined_data('lake')",
        "SELECT * FROM ducklake_merge_adjacent_files('lake')",
        "SELECT * FROM lake.merge_adjacent_files()",
        "SELECT * FROM ducklake_rewrite_data_files('lake')",
        "SELECT * FROM checkpoint()",
        "SELECT * FROM force_checkpoint()",
        "SELECT * FROM ducklake_cleanup_old_files('lake', cleanup_all => true)",
        "SELECT * FROM ducklake_delete_orphaned_files('lake', cleanup_all => true)",
        "SELECT * FROM ducklake_expire_snapshots('lake', older_than => now())",
        f"SELECT count(*) FROM read_parquet('{data}/**/*.parquet')",
        f"SELECT count(*) FROM '{data}/main/revenue/*.parquet'",
        f"SELECT * FROM parquet_metadata('{data}/**/*.parquet')",
        f"SELECT * FROM glob('{data}/**')",
        f"SELECT * FROM read_blob('{data}/**')",
        "SELECT * FROM sqlite_query('lake', 'SELECT 1')",
    ]
    con, source = open_sandbox(feed.path, lake)
    try:
        for sql in attempts * 3:
            with pytest.raises((QueryRefused, duckdb.Error)):
                run_query(con, source, sql)
        assert run_query(con, source, "SELECT count(*) AS n FROM revenue").frame["n"].to_list() == [9003]  # reading still works
    finally:
        con.close()
    assert _fingerprint(folder) == before


def test_upkeep_deletes_orphaned_files_after_the_grace(feed: Feed) -> None:
    """A file in the data path that no snapshot ever held (a publication killed before its commit)
    is deleted by upkeep once it is older than the grace; a younger one (a publication under way)
    stays; while a file DuckLake did not write lies there, nothing is deleted."""
    import os
    import time
    from datetime import timedelta

    writer = LakeWriter(feed.store, lake_for(feed.path))
    feed.write(revenue=_revenue(3000, 0))
    writer.publish(NOW, reference=True)
    data = Path(lake_for(feed.path).data_path)
    held = sorted(data.rglob("*.parquet"))
    folder = data / "main" / "revenue"
    old = folder / "ducklake-01a250d5-0000-7000-8000-00000000dead.parquet"  # a publication killed before its commit
    young = folder / "ducklake-01a250d5-0000-7000-8000-00000000beef.parquet"  # one under way
    foreign = data / "exports" / "q1.parquet"  # an analyst's copy left in the folder
    foreign.parent.mkdir()
    for path in (old, young, foreign):
        path.write_bytes(held[0].read_bytes())
    hour_ago = time.time() - 3600
    os.utime(old, (hour_ago, hour_ago))
    os.utime(foreign, (hour_ago, hour_ago))
    assert writer.maintain(NOW, grace=timedelta(minutes=10)).orphans == 0  # a file DuckLake did not write: nothing deleted
    assert old.exists() and young.exists() and foreign.exists()
    foreign.unlink()  # moved out, as the log asks
    upkeep = writer.maintain(NOW, grace=timedelta(minutes=10))
    assert upkeep.orphans == 1 and not old.exists() and young.exists()
    assert set(held) | {young} <= set(data.rglob("*.parquet"))  # the lake's own files untouched (upkeep may add merged ones)
    writer.close()
    assert _lake_totals(feed)[:2] == (3000, sum(1_000_000 + i for i in range(3000)))


def test_a_lake_from_before_the_log_column_gains_it(feed: Feed) -> None:
    """A lake published before migration 009 has rejects without log_seq: the next publication adds
    the column (0: the first log) instead of refusing the lake, and goes on exactly."""
    writer = LakeWriter(feed.store, lake_for(feed.path))
    feed.write(revenue=[*_revenue(3, 0), b"{bad"])
    writer.publish(NOW, reference=True)
    writer.close()
    old = duckdb.connect(":memory:")
    attach(old, lake_for(feed.path), read_only=False)
    old.execute("ALTER TABLE lake.rejects DROP COLUMN log_seq")
    old.close()
    writer = LakeWriter(feed.store, lake_for(feed.path))
    feed.write(revenue=[*_revenue(2, 3), b"{worse"])
    assert writer.publish(NOW, reference=False) is not None
    writer.close()
    con, _ = open_sandbox(feed.path, lake_for(feed.path))
    try:
        assert con.execute("SELECT raw_value, log_seq FROM rejects ORDER BY source_offset").fetchall() == [(b"{bad", 0), (b"{worse", 0)]
    finally:
        con.close()
    assert _lake_totals(feed)[:2] == feed.rows(TOTALS)[0][:2]


def test_a_reader_may_not_write_its_output_over_the_lake_or_the_store(feed: Feed) -> None:
    """`--output` / `--to` naming a lake data file, the catalog or the store: refused (exit 2), the file unchanged."""
    _published_and_stopped(feed, 3)
    lake = lake_for(feed.path)
    data_file = next(Path(lake.data_path).rglob("*.parquet"))
    targets = {data_file, Path(lake.catalog.removeprefix("sqlite:")), feed.path}
    before = {t: t.read_bytes() for t in targets}
    db = str(feed.path)
    attempts = [
        ("sql", "--db", db, "SELECT 1 AS x", "--format", "csv", "--output", str(data_file)),
        ("export", "departments", "--db", db, "--output", str(Path(lake.catalog.removeprefix("sqlite:")))),
        ("export", "departments", "--db", db, "--output", db),
        ("snapshot", "--db", db, "--to", str(Path(lake.data_path) / "main" / "copy.duckdb")),
    ]
    for args in attempts:
        result = run_cli(*args)
        assert result.returncode == 2 and "a file outside the lake's folder" in result.stderr, (args, result.stderr)
    assert {t: t.read_bytes() for t in targets} == before


def _offsets_in_lake(feed: Feed) -> list[tuple[str, int, int, str | None, int]]:
    con = duckdb.connect()
    try:
        attach(con, lake_for(feed.path), read_only=True)
        return [(o.topic, o.partition, o.next_offset, o.topic_id, o.batch_seq) for o in lake_offsets(con)]
    finally:
        con.close()


@covers("lake/read/offsets")
def test_the_lake_records_where_in_kafka_its_rows_end(feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each publication records the store's Kafka offsets at the batch it holds, in the same
    transaction as the rows: a failed publication leaves rows and offsets as they were."""
    writer = LakeWriter(feed.store, lake_for(feed.path))
    feed.write(revenue=_revenue(20, 0), declaration=[declaration(event_id="d1"), b"{"])
    writer.publish(NOW, reference=True)
    assert _offsets_in_lake(feed) == [("customs.declarations", 0, 2, None, 1), ("customs.revenue", 0, 20, None, 1)]
    feed.write(revenue=_revenue(5, 20, day=2))
    writer.publish(NOW + timedelta(seconds=5), reference=False)
    assert _offsets_in_lake(feed) == [("customs.declarations", 0, 2, None, 2), ("customs.revenue", 0, 25, None, 2)]
    assert feed.rows("SELECT topic, next_offset FROM consumer_offsets ORDER BY 1") == [("customs.declarations", 2), ("customs.revenue", 25)]

    feed.write(seizure=[seizure(event_id="s1")], revenue=_revenue(3, 25, day=3))
    _fail_at_the_watermark(writer, NOW + timedelta(seconds=10), monkeypatch)
    assert _offsets_in_lake(feed)[1] == ("customs.revenue", 0, 25, None, 2)
    assert _lake_totals(feed)[0] == 25  # no row of batch 3 either
    done = writer.publish(NOW + timedelta(seconds=15), reference=False)
    assert done is not None and done.batch_seq == 3
    assert _offsets_in_lake(feed) == [
        ("customs.declarations", 0, 2, None, 3),
        ("customs.revenue", 0, 28, None, 3),
        ("customs.seizures", 0, 1, None, 3),
    ]
    assert _lake_totals(feed) == feed.rows(TOTALS)[0]
    writer.close()
    old = duckdb.connect()  # a lake last published by a release that did not record offsets
    attach(old, lake_for(feed.path), read_only=False)
    old.execute("ALTER TABLE lake.lake_publications DROP COLUMN offsets")
    old.close()
    feed.write(revenue=_revenue(1, 28, day=4))
    writer = LakeWriter(feed.store, lake_for(feed.path))
    assert writer.publish(NOW + timedelta(seconds=20), reference=False) is not None  # the column comes back, filled
    assert _offsets_in_lake(feed)[1] == ("customs.revenue", 0, 29, None, 4)


def _table(feed: Feed, table: str) -> list[tuple]:  # type: ignore[type-arg]
    return sorted(feed.rows(f"SELECT * FROM {table}"), key=repr)


@covers("lake/restore/newest_publication", "lake/restore/copy_table", "lake/restore/offsets", "lake/restore/store_state")
def test_a_store_restored_from_the_lake_equals_the_lost_one_and_goes_on(feed: Feed, tmp_path: Path) -> None:
    """`restore --from-lake` after the store's disk is lost: the same rows, rejects, offsets and id,
    its aggregates and index rebuilt, `verify` clean; it goes on consuming and publishing to the lake."""
    lake = lake_for(feed.path)
    writer = LakeWriter(feed.store, lake)
    feed.write(revenue=[*_revenue(20, 0), b"{bad"], declaration=[declaration(event_id="d1")], seizure=[seizure(event_id="s1")])
    feed.write(revenue=[*_revenue(5, 20, day=2), _revenue(1, 0)[0]])  # a duplicate of r0
    assert writer.publish(NOW, reference=True) is not None
    writer.close()
    tables = ("declarations", "revenue", "seizures", "rejects", "consumer_offsets", "agg_revenue_day", "agg_streams", "agg_rejects")
    lost = {table: _table(feed, table) for table in tables}
    state = feed.rows("SELECT store_id, batch_seq, changed_seq FROM store_state")
    feed.store.close()
    feed.path.unlink()  # the disk is lost: the store and its index; the lake (here beside it) is not
    shutil.rmtree(f"{feed.path}.index")

    restored = tmp_path / "restored" / "customs.duckdb"
    args = ("restore", "--from-lake", "--db", str(restored), "--lake", lake.catalog)
    done = run_cli(*args)
    assert done.returncode == 0, done.stderr
    assert "restored 27 events, 1 rejects and the offsets of 3 partitions" in done.stdout
    again = Feed(restored)
    assert again.rows("SELECT store_id, batch_seq, changed_seq FROM store_state") == state
    for table in tables:  # offsets' updated_at is the restore's time
        found = _table(again, table)
        assert (found if table != "consumer_offsets" else [r[:3] for r in found]) == (
            lost[table] if table != "consumer_offsets" else [r[:3] for r in lost[table]]
        ), table
    assert again.audit() == {}  # the aggregates, rebuilt from the rows, are the rows'
    again.store.close()
    assert verify_store(restored, lake, None).differences == []
    again = Feed(restored)
    with pytest.raises(ConfigError, match="a path where no store exists yet"):  # never over an existing store
        restore_from_lake(restored, lake, NOW)

    again.offsets = {"customs.revenue": 27, "customs.declarations": 1, "customs.seizures": 1}
    counts = again.write(revenue=[*_revenue(3, 25, day=3), _revenue(20, 0)[5]])  # the index knows r5: a duplicate
    assert counts["accepted"] == {"customs.revenue": 3} and counts["duplicates"] == {"customs.revenue": 1}
    resumed = LakeWriter(again.store, lake).publish(NOW + timedelta(seconds=5), reference=False)  # the lake takes it as the same store
    assert resumed is not None and (resumed.after, resumed.events) == (2, 3)
    con, _ = open_sandbox(feed.path, lake)  # the lake, read beside the lost store's path
    try:
        assert con.execute(TOTALS).fetchall()[0] == again.rows(TOTALS)[0]
    finally:
        con.close()


def test_restoring_needs_a_published_lake_and_a_new_path(tmp_path: Path) -> None:
    empty = tmp_path / "nothing.duckdb"
    with pytest.raises(ConfigError, match="an existing lake"):
        restore_from_lake(empty, lake_for(empty), NOW)
    assert not empty.exists()
