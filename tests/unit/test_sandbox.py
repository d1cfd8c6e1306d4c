"""Analysts' SQL runs read-only: hostile statements are refused with a clear message and change nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from streams.errors import QueryRefused
from streams.read import open_sandbox, run_query
from streams.store import open_store
from tests.support.factories import revenue
from tests.support.stores import write


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "db.duckdb"
    store = open_store(path)
    write(store, [revenue(amount_vnd=7), revenue(amount_vnd=35)])
    store.close()
    return path


HOSTILE = [
    ("SELECT * FROM read_csv('/etc/passwd')", "not allowed"),
    ("SELECT * FROM read_text('/etc/hostname')", "not allowed"),
    ("SELECT * FROM glob('/etc/*')", "not allowed"),
    ("COPY revenue TO '/tmp/stolen.csv'", "COPY statements are not allowed"),
    ("ATTACH '/tmp/other.duckdb' AS other", "ATTACH statements are not allowed"),
    ("INSTALL httpfs", "INSTALL statements are not allowed"),
    ("LOAD httpfs", "LOAD statements are not allowed"),
    ("SET threads = 1", "SET statements are not allowed"),
    ("PRAGMA enable_profiling", "PRAGMA statements are not allowed"),
    ("CREATE TABLE x AS SELECT 1", "CREATE statements are not allowed"),
    ("DROP TABLE revenue", "DROP statements are not allowed"),
    ("DELETE FROM revenue", "DELETE statements are not allowed"),
    ("UPDATE revenue SET amount_vnd = 0", "UPDATE statements are not allowed"),
    ("INSERT INTO revenue SELECT * FROM revenue", "INSERT statements are not allowed"),
    ("EXPORT DATABASE '/tmp/out'", "EXPORT statements are not allowed"),
    ("SELECT 1; DROP TABLE revenue", "exactly one statement"),
    ("SELECT * FROM 'https://example.org/x.parquet'", "not allowed"),
    ("EXPLAIN ANALYZE DELETE FROM revenue", "EXPLAIN of DELETE is not allowed"),
    ("EXPLAIN ANALYZE COPY revenue TO '/tmp/stolen.csv'", "EXPLAIN of COPY is not allowed"),
    ("explain analyse insert into revenue select * from revenue", "EXPLAIN of INSERT is not allowed"),
    ("EXPLAIN (FORMAT json) UPDATE revenue SET amount_vnd = 0", "EXPLAIN of UPDATE is not allowed"),
    # Functions that reach past the read-only data: SQL on the catalog's server or file, SQL in strings, upkeep that writes files.
    ("SELECT * FROM postgres_query('lake', 'SELECT pg_sleep(20)')", "postgres_query is not allowed"),
    ("SELECT * FROM \"POSTGRES_EXECUTE\"('lake', 'DROP TABLE x')", "postgres_execute is not allowed"),
    ("SELECT * FROM sqlite_query('catalog', 'DELETE FROM ducklake_snapshot')", "sqlite_query is not allowed"),
    ("SELECT * FROM query('SELECT 1')", "query is not allowed"),
    ("SELECT checkpoint()", "checkpoint is not allowed"),
    ("SELECT 1 WHERE 2 IN (SELECT force_checkpoint())", "force_checkpoint is not allowed"),
    ("SELECT * FROM ducklake_flush_inlined_data('lake')", "ducklake_flush_inlined_data is not allowed"),
    ("SELECT * FROM ducklake_merge_adjacent_files('lake')", "ducklake_merge_adjacent_files is not allowed"),
    ("SELECT * FROM ducklake_cleanup_old_files('lake', cleanup_all => true)", "ducklake_cleanup_old_files is not allowed"),
    ("EXPLAIN SELECT * FROM ducklake_expire_snapshots('lake', older_than => now())", "ducklake_expire_snapshots is not allowed"),
    # Found by an independent tester: a comment that hides the explained statement from the split, and
    # DuckLake's functions called by the lake's catalog name.
    ("EXPLAIN ANALYZE (SELECT 1 --) SELECT 1 /*\nFROM checkpoint()) --*/", "EXPLAIN with a comment is not allowed"),
    ("EXPLAIN (SELECT 1 --) SELECT 1 /*\nFROM query('SELECT 1')) --*/", "EXPLAIN with a comment is not allowed"),
    ("SELECT * FROM lake.merge_adjacent_files()", "merge_adjacent_files is not allowed"),
    ("SELECT * FROM lake.main.set_option('parquet_compression', 'zstd')", "set_option is not allowed"),
]


@pytest.mark.parametrize(("sql", "message"), HOSTILE, ids=[s[:30] for s, _ in HOSTILE])
def test_hostile_sql_is_refused(db: Path, sql: str, message: str) -> None:
    """Each statement is refused, the message says what is not allowed, and the data is unchanged."""
    con, source = open_sandbox(db)
    with pytest.raises(QueryRefused) as info:
        run_query(con, source, sql)
    assert message in str(info.value)
    assert run_query(con, source, "SELECT count(*) AS n, sum(amount_vnd) AS s FROM revenue").frame.row(0) == (2, 42)
    con.close()
    assert not Path("/tmp/stolen.csv").exists()


@pytest.mark.timeout(120)  # not a speed: unstopped, the query would run for hours
def test_long_query_is_stopped(db: Path) -> None:
    """A query over the time limit is interrupted with a message naming the limit (unstopped, the
    join of ten billion rows would run for hours)."""
    con, source = open_sandbox(db)
    with pytest.raises(QueryRefused, match=r"longer than the 0\.5 s limit"):
        run_query(con, source, "SELECT count(*) FROM range(10000000000) a, range(10) b WHERE a.range % 7 = b.range", timeout_s=0.5)


def test_row_limit(db: Path) -> None:
    """At most max_rows rows come back, and the result says it was cut."""
    con, source = open_sandbox(db)
    result = run_query(con, source, "SELECT * FROM range(1000)", max_rows=10)
    assert result.frame.height == 10 and result.truncated
    whole = run_query(con, source, "SELECT * FROM range(10)", max_rows=10)
    assert whole.frame.height == 10 and not whole.truncated


def test_views_and_select_work(db: Path) -> None:
    """Ordinary queries over tables and views run and return exact numbers."""
    con, source = open_sandbox(db)
    assert source.live and source.taken_at is None
    frame = run_query(con, source, "SELECT department_code, net_vnd FROM revenue_monthly").frame
    assert frame.rows() == [("03", 42)]


def test_explain_of_a_select_runs(db: Path) -> None:
    con, source = open_sandbox(db)
    assert run_query(con, source, "EXPLAIN ANALYZE SELECT sum(amount_vnd) FROM revenue").frame.height >= 1
    assert run_query(con, source, "EXPLAIN SELECT 1").frame.height >= 1
    con.close()


def test_a_huge_result_is_refused_before_it_reaches_python(db: Path) -> None:
    """A repeat('x', 1e9) once took 6.3 GB: the result is bounded in bytes, not only in rows."""
    con, source = open_sandbox(db)
    with pytest.raises(QueryRefused, match="the result is over 16 MB: select fewer columns or rows"):
        run_query(con, source, "SELECT repeat('x', 50000000) AS big", max_bytes=16 * 2**20)
    assert run_query(con, source, "SELECT repeat('x', 1000) AS small").frame.item() == "x" * 1000
    con.close()


def test_memory_and_spill_are_bounded_and_locked(db: Path) -> None:
    """DuckDB's memory (a quarter of the machine's, at most 4 GB) and its spill folder (8 GB) are set and cannot be changed."""
    import os

    con, source = open_sandbox(db)
    limit_mib = min(4096, os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") // 4 // 2**20)
    settings = dict(
        run_query(con, source, "SELECT name, value FROM duckdb_settings() WHERE name IN ('memory_limit', 'max_temp_directory_size', "
                  "'temp_directory')").frame.iter_rows()
    )  # fmt: skip
    assert settings["memory_limit"] == f"{limit_mib / 1024:.1f} GiB"
    assert settings["max_temp_directory_size"] == "7.4 GiB"  # 8 GB
    assert Path(settings["temp_directory"]).name.startswith("customs-kpi-sql-")
    with pytest.raises(QueryRefused, match="SET statements are not allowed"):
        run_query(con, source, "SET memory_limit = '100GB'")
    con.close()


def test_the_time_limit_covers_the_results_conversion(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from streams.read import running

    real = running._whole_numbers

    def slow(frame):  # type: ignore[no-untyped-def]
        time.sleep(1.2)
        return real(frame)

    monkeypatch.setattr(running, "_whole_numbers", slow)
    con, source = open_sandbox(db)
    with pytest.raises(QueryRefused, match=r"longer than the 1 s limit \(with its result's conversion\)"):
        run_query(con, source, "SELECT 1", timeout_s=1)
    con.close()
