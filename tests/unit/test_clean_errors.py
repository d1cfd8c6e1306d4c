"""What a user typing a wrong or unlucky command sees: one line saying what is wrong, an exit code,
never a traceback (the CLI's own error handler, run in this process as `customs-kpi` runs it)."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from streams.cli import main
from streams.kpi.targets import load_targets
from streams.store import open_store
from streams.store.lake import LakeWriter, lake_for
from streams.store.reference import write_reference
from tests.unit.test_store import write


def customs_kpi(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of one command."""
    monkeypatch.setattr(sys, "argv", ["customs-kpi", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A store with five events, its lake published once (at version 2: version 1 is the empty catalog)."""
    from tests.factories import revenue

    path = tmp_path / "c.duckdb"
    store = open_store(path)
    write_reference(store, load_targets())
    write(store, [revenue(event_id=f"e{i}") for i in range(5)])
    writer = LakeWriter(store, lake_for(path))
    assert writer.publish(datetime.now(UTC), reference=True) is not None
    writer.close()
    store.close()
    return path


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
    db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, args: list[str], setting: str
) -> None:
    code, _, err = customs_kpi(
        capsys, monkeypatch, *args, "--db", str(db), *(["--output", str(tmp_path / "r.html")] if args[0] == "report" else [])
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
