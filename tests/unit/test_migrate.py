"""`customs-kpi migrate-duckdb2`: an EXPORT DATABASE folder into a new file, rows, aggregates and store id intact.

The export here is written by this release's DuckDB (DuckDB 2.x is not installed here): the
command's part, reading an export into a new file, is the same whichever DuckDB wrote it."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from streams.store import open_store
from tests.support.factories import revenue
from tests.support.stores import customs_kpi, write

FIGURES = (
    "SELECT (SELECT count(*) FROM revenue), (SELECT sum(amount_vnd) FROM revenue), (SELECT count(*) FROM rejects), "
    "(SELECT store_id FROM store_state), (SELECT sum(next_offset) FROM consumer_offsets)"
)


def _figures(path: Path) -> tuple[object, ...]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return tuple(con.execute(FIGURES).fetchone() or ())
    finally:
        con.close()


def test_an_export_comes_over_with_its_rows_aggregates_and_store_id(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    old = tmp_path / "old.duckdb"
    store = open_store(old)
    write(store, [revenue(event_id=f"m{i}", amount_vnd=1_000 + i) for i in range(40)] + [{"bad": "no event"}])
    store.close()
    before = _figures(old)
    assert before[:3] == (40, sum(1_000 + i for i in range(40)), 1)
    con = duckdb.connect(str(old), read_only=True)
    con.execute(f"EXPORT DATABASE '{tmp_path / 'export'}' (FORMAT parquet)")
    con.close()

    new = tmp_path / "new" / "customs.duckdb"
    code, out, err = customs_kpi(capsys, monkeypatch, "migrate-duckdb2", str(tmp_path / "export"), "--to", str(new))
    assert code == 0, err
    assert out.startswith(f"{new}: ") and ", 40 events; " in out and "views and macros left to the consumer" in out
    assert _figures(new) == before
    code, out, err = customs_kpi(capsys, monkeypatch, "aggregates", "verify", "--db", str(new))
    assert code == 0, out + err

    code, _, err = customs_kpi(capsys, monkeypatch, "migrate-duckdb2", str(tmp_path / "export"), "--to", str(new))
    assert (code, err) == (2, f"error: setting --to='{new}' is invalid: expected a database file that does not exist yet\n")
    code, _, err = customs_kpi(capsys, monkeypatch, "migrate-duckdb2", str(tmp_path), "--to", str(tmp_path / "x.duckdb"))
    assert code == 2 and "a folder written by EXPORT DATABASE (with schema.sql and load.sql)" in err
