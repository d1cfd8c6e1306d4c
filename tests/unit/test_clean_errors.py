"""What a user typing a wrong or unlucky command sees: one line saying what is wrong, an exit code,
never a traceback (the CLI's own error handler, run in this process as `customs-kpi` runs it)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from streams.config import lake_for
from streams.kpi.clock import VIETNAM
from streams.kpi.targets import load_targets
from streams.lake import LakeWriter
from streams.store import open_store, write_reference
from tests.support.stores import customs_kpi, held, write


def _published(path: Path) -> Path:
    """A store with five events, its lake published once (at version 2: version 1 is the empty catalog)."""
    from tests.support.factories import revenue

    store = open_store(path)
    write_reference(store, load_targets())
    write(store, [revenue(event_id=f"e{i}") for i in range(5)])
    writer = LakeWriter(store, lake_for(path))
    assert writer.publish(datetime.now(UTC), reference=True) is not None
    writer.close()
    store.close()
    return path


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return _published(tmp_path / "c.duckdb")


@pytest.fixture(scope="module")
def read_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same, made once for the tests that only read it."""
    return _published(tmp_path_factory.mktemp("read") / "c.duckdb")


@pytest.mark.parametrize(
    ("args", "setting"),
    [
        (["report", "--as-of", "0001-01-01"], "--as-of"),
        (["report", "--as-of", "9999-12-31"], "--as-of"),
        (["report", "--as-of", "1999-12-31"], "--as-of"),
        (["sql", "SELECT 1", "--at", "0001-01-01"], "--at"),
        (["query", "behind_pace", "--as-of", "9999-12-31T00:00"], "--as-of"),
    ],
)
def test_days_outside_the_contract_name_the_setting(
    read_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: list[str], setting: str
) -> None:
    code, _, err = customs_kpi(
        capsys, monkeypatch, *args, "--db", str(read_db), *(["--output", str(tmp_path / "r.html")] if args[0] == "report" else [])
    )
    assert code == 2 and "Traceback" not in err
    assert f"setting {setting}=" in err and "from 2000-01-01" in err


def test_an_unreachable_catalog_is_a_clear_error(db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    lake = "postgres:host=127.0.0.1 port=1 dbname=lake user=kpi connect_timeout=3"
    code, _, err = customs_kpi(capsys, monkeypatch, "sql", "SELECT 1", "--db", str(db), "--lake", lake)
    assert code == 6 and "Traceback" not in err
    assert err.startswith("error: the lake postgres:host=127.0.0.1 port=1") and "cannot be reached" in err and "Connection refused" in err


def test_the_views_hint_only_when_the_views_are_missing(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A typo on a database with its views gets the error alone; a database without them gets the hint."""
    plain = ["sql", "SELECT * FROM revenu", "--db", str(db), "--lake", f"sqlite:{db.parent / 'none.sqlite'}"]
    code, _, err = customs_kpi(capsys, monkeypatch, *plain)
    assert code == 5 and "revenu does not exist" in err and "no curated views" not in err
    con = duckdb.connect(str(db))
    for (name,) in con.execute("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall():
        con.execute(f"DROP VIEW {name}")
    con.close()
    code, _, err = customs_kpi(capsys, monkeypatch, *plain[:1], "SELECT * FROM revenue_monthly", *plain[2:])
    assert code == 5 and "no curated views yet" in err


@pytest.mark.parametrize("version", ["0", "1"])
def test_a_version_before_the_first_publication_says_so(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, version: str
) -> None:
    code, _, err = customs_kpi(capsys, monkeypatch, "sql", "SELECT count(*) FROM revenue", "--db", str(db), "--version", version)
    assert code == 5 and "Traceback" not in err
    assert f"version {version} comes before its first publication" in err and "the newest is 2" in err
    code, out, _ = customs_kpi(
        capsys, monkeypatch, "sql", "SELECT count(*) AS n FROM revenue", "--db", str(db), "--version", "2", "--format", "csv"
    )
    assert code == 0 and out.splitlines() == ["n", "5"]


def test_without_a_database_the_reading_commands_point_at_the_demos(
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `make demo` its data is in var/demo/customs.duckdb while the commands read var/customs.duckdb
    by default: the error says the --db to add, and that --db works. Without a demo, the plain error."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CUSTOMS_KPI_DB", raising=False)
    code, _, err = customs_kpi(capsys, monkeypatch, "query", "behind_pace")
    lake = tmp_path / "var" / "customs.lake"
    assert (code, err) == (5, f"error: no database at var/customs.duckdb and no lake at sqlite:{lake}/catalog.sqlite (data {lake}/data/)\n")
    (tmp_path / "var" / "demo").mkdir(parents=True)
    db.rename(tmp_path / "var" / "demo" / "customs.duckdb")
    (db.parent / "c.lake").rename(tmp_path / "var" / "demo" / "customs.lake")
    for args in (["query", "behind_pace"], ["sql", "SELECT 1"], ["report", "--as-of", "2021-12-31", "--output", "r.html"]):
        code, _, err = customs_kpi(capsys, monkeypatch, *args)
        assert code == 2 and "Traceback" not in err, err
        assert err == (
            "error: setting --db='var/customs.duckdb' is invalid: expected an existing database; the demo's is "
            "var/demo/customs.duckdb: add --db var/demo/customs.duckdb (or set CUSTOMS_KPI_DB)\n"
        )
    code, out, _ = customs_kpi(
        capsys, monkeypatch, "sql", "SELECT count(*) AS n FROM revenue", "--format", "csv", "--db", "var/demo/customs.duckdb"
    )
    assert (code, out) == (0, "n\n5\n")


def test_a_time_before_the_lake_says_which_clock_time_travel_reads(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """--at 2021-07-01 on a lake published today: the snapshots carry when they were published, not
    the events' time, and the error says so with the span the lake was published in."""
    code, _, err = customs_kpi(capsys, monkeypatch, "sql", "SELECT count(*) FROM revenue", "--db", str(db), "--at", "2021-07-01T08:00")
    assert code == 5 and "Traceback" not in err
    assert err.startswith("error: the lake has no snapshot at time 2021-07-01T08:00:00+07:00: ")
    span = re.search(r"not when the events occurred: this lake was published from (\S+ \S+) to (\S+ \S+);", err)
    assert span is not None, err
    published = [datetime.fromisoformat(t) for t in span.groups()]
    assert all(timedelta(0) <= datetime.now(UTC) - t < timedelta(minutes=10) for t in published)  # published just now
    assert published[0].utcoffset() == VIETNAM.utcoffset(None)
    assert err.rstrip().endswith("the events' own time is occurred_at")


@pytest.mark.parametrize("command", ["verify", "rebuild"])
def test_a_database_in_use_is_exit_code_3_for_readers_and_writers_alike(
    db: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str
) -> None:
    """`aggregates verify` reads the file, `aggregates rebuild` writes it: a consumer holding it is the
    same error for both (it was exit 5 for the reader), naming the process, and no stale advice."""
    with held(db, read_only=False) as holder:
        code, _, err = customs_kpi(capsys, monkeypatch, "aggregates", command, "--db", str(db))
    assert code == 3 and "Traceback" not in err
    assert err.startswith(f"error: database {db} is open in another process (pid {holder.pid}: ")
    assert "Stop that process first; analysts read the lake the consumer publishes" in err and "snapshot" not in err


@pytest.mark.parametrize(
    ("args", "setting", "expected"),
    [
        # --lake is checked even when --publish-every 0 turns the lake off (before Kafka is asked)
        (["consume", "--publish-every", "0", "--lake", "mysql:x", "-b", "127.0.0.1:1"], "--lake", "sqlite:<catalog file> or postgres:"),
        (["consume", "--lake", "postgres:dbname=x password=hunter2", "-b", "127.0.0.1:1"], "--lake", "no password in the setting"),
        (["consume", "--publish-every", "-1", "-b", "127.0.0.1:1"], "--publish-every", "at least 0"),
        (["sql", "SELECT 1", "--max-rows", "0"], "--max-rows", "at least 1"),
        (["sql", "SELECT 1", "--timeout", "-1"], "--timeout", "more than 0"),
        (["export", "revenue", "--output", "x.parquet", "--max-rows", "-1"], "--max-rows", "at least 1"),
        (["rejects", "--by", "week"], "--by", "one of reason"),
        (["migrate-duckdb2", "no-such-export", "--to", "new.duckdb"], "EXPORT", "folder"),
    ],
)
def test_library_errors_reach_the_user_as_flags(
    read_db: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    args: list[str],
    setting: str,
    expected: str,
) -> None:
    """The library names its settings (lake, max_rows, export); the user reads the flag or argument that sets them."""
    monkeypatch.chdir(tmp_path)
    code, _, err = customs_kpi(capsys, monkeypatch, *args, *([] if args[0] == "migrate-duckdb2" else ["--db", str(read_db)]))
    assert code == 2 and "Traceback" not in err, err
    assert f"setting {setting}=" in err and expected in err, err
    assert "hunter2" not in err


@pytest.mark.parametrize("command", [["lake", "rebuild"], ["aggregates", "rebuild"]])
def test_a_maintenance_command_on_a_missing_store_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    missing = tmp_path / "missing.duckdb"
    code, _, err = customs_kpi(capsys, monkeypatch, *command, "--db", str(missing))
    assert code == 2 and f"setting --db='{missing}'" in err and "an existing store" in err
    assert sorted(p.name for p in tmp_path.iterdir()) == []
