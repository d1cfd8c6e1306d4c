"""The ready queries of sql/queries answer ops' questions exactly, run through the read-only sandbox."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest

from streams.kpi.targets import load_targets
from streams.query import queries_dir, ready_queries
from streams.read import QueryResult, Source, open_sandbox, run_query
from streams.store import open_store, write_reference
from tests.support.factories import declaration, revenue
from tests.support.sqlcover import covers
from tests.support.stores import load

ICT = timezone(timedelta(hours=7))
AS_OF = datetime(2021, 3, 10, 12, 0, tzinfo=ICT)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "q.duckdb"
    s = open_store(path)
    write_reference(s, load_targets())
    bn = 10**9
    load(
        s,
        [
            revenue(department_code="03", office_code=None, amount_vnd=9_000 * bn, tax_type="vat", occurred_at="2021-02-01T10:00:00+07:00"),
            revenue(
                department_code="03",
                office_code=None,
                amount_vnd=1_000 * bn,
                tax_type="import_duty",
                occurred_at="2021-02-01T10:00:00+07:00",
            ),
            revenue(
                department_code="02", office_code=None, amount_vnd=30_000 * bn, tax_type="vat", occurred_at="2021-02-01T10:00:00+07:00"
            ),
            revenue(
                department_code="02",
                office_code=None,
                amount_vnd=10_000 * bn,
                tax_type="import_duty",
                occurred_at="2021-02-01T10:00:00+07:00",
            ),
        ],
        "revenue",
    )
    decl = []
    for i, (month, channel) in enumerate([(2, "red"), (2, "green"), (2, "green"), (2, "green"), (3, "red"), (3, "red"), (3, "green")]):
        decl.append(
            declaration(
                declaration_no=f"1000000000{i:02d}",
                office_code="03CC",
                channel=channel,
                occurred_at=f"2021-0{month}-0{i % 9 + 1}T08:00:00+07:00",
            )
        )
    decl.append(
        declaration(
            declaration_no="100000000004", office_code="03CC", channel="red", status="cleared", occurred_at="2021-03-06T08:00:00+07:00"
        )
    )  # 24 h
    decl.append(
        declaration(
            declaration_no="100000000006", office_code="03CC", channel="green", status="cleared", occurred_at="2021-03-07T10:00:00+07:00"
        )
    )  # 2 h
    load(s, decl, "declaration")
    s.close()
    return path


def run(db: Path, name: str) -> list[tuple]:
    con, source = open_sandbox(db)
    sql = (queries_dir() / f"{name}.sql").read_text()
    rows = run_query(con, source, sql, params={"as_of": AS_OF.astimezone(UTC)}).frame.rows()
    con.close()
    return rows


def test_every_ready_query_has_a_test() -> None:
    """The four questions are answered, each by one file."""
    assert ready_queries() == ["behind_pace", "red_channel_share_month", "shortfall_by_tax_type", "slowest_offices"]


@covers("queries/behind_pace")
def test_behind_pace(db: Path) -> None:
    """Departments under plan at the estimate level, biggest shortfall first, with the exact shortfall."""
    rows = run(db, "behind_pace")
    by_dept = {r[0]: r for r in rows}
    assert len(rows) == 34 and "02" not in by_dept  # HCMC's 40,000 bn is ahead of its plan; the rest have less
    assert [r[5] for r in rows] == sorted((r[5] for r in rows), reverse=True)
    assert rows[0][0] == "01"  # Hanoi: the largest plan among departments with no revenue yet
    dept03 = by_dept["03"]
    assert dept03[3] == 10_000 * 10**9
    assert dept03[5] == pytest.approx(dept03[4] - dept03[3])
    assert dept03[6] == pytest.approx(dept03[3] / dept03[4])


@covers("queries/shortfall_by_tax_type")
def test_shortfall_by_tax_type(db: Path) -> None:
    """Each tax type's gap against the plan split by the national mix (78% VAT, 22% import duty here)."""
    rows = [r for r in run(db, "shortfall_by_tax_type") if r[0] == "03"]
    assert [r[1] for r in rows] == ["import_duty", "vat"]  # import duty drives Hai Phong's shortfall
    duty, vat = rows
    assert vat[3] == pytest.approx(0.78) and duty[3] == pytest.approx(0.22)
    assert vat[2] == 9_000 * 10**9 and duty[2] == 1_000 * 10**9
    assert duty[5] == pytest.approx(duty[2] - duty[4]) and duty[5] < 0 < vat[5]


def test_shortfall_shares_lie_between_0_and_1_with_large_refunds(tmp_path: Path) -> None:
    """Excise collected 1,000 bn and refunded 5,000 bn nationally: by net amounts its share was negative
    and VAT's over 100%. By gross collections each share lies in [0, 1], the shares sum to 1, and the
    gaps of a department sum to its shortfall (net ytd minus plan to date)."""
    bn = 10**9
    s = open_store(tmp_path / "refunds.duckdb")
    write_reference(s, load_targets())
    when = "2021-02-01T10:00:00+07:00"
    at = {"department_code": "03", "office_code": None, "occurred_at": when}
    events = [
        revenue(event_id="v", receipt_no="V", amount_vnd=4_000 * bn, tax_type="vat", **at),
        revenue(event_id="e", receipt_no="E", amount_vnd=1_000 * bn, tax_type="excise", **at | {"department_code": "02"}),
        revenue(event_id="r", receipt_no="R", amount_vnd=5_000 * bn, tax_type="excise", kind="refund", **at | {"department_code": "02"}),
    ]
    load(s, events, "revenue")
    s.close()
    rows = run(tmp_path / "refunds.duckdb", "shortfall_by_tax_type")
    shares = {r[1]: r[3] for r in rows if r[0] == "03"}
    assert shares == {"vat": pytest.approx(0.8), "excise": pytest.approx(0.2)}  # 4,000 and 1,000 of 5,000 bn gross
    assert all(0 <= r[3] <= 1 for r in rows)
    for dept in {r[0] for r in rows}:
        mine = [r for r in rows if r[0] == dept]
        assert sum(r[3] for r in mine) == pytest.approx(1)
        [progress] = [p for p in run(tmp_path / "refunds.duckdb", "behind_pace") if p[0] == dept]
        assert sum(r[5] for r in mine) == pytest.approx(progress[3] - progress[4])  # ytd - plan: the shortfall, negative


@covers("queries/red_channel_share_month")
def test_red_channel_share_month(db: Path) -> None:
    """March (to as_of) against February: red share from 1/4 to 2/3."""
    rows = run(db, "red_channel_share_month")
    assert rows == [("03", 3, pytest.approx(2 / 3), 4, 0.25, pytest.approx(2 / 3 - 0.25))]


@covers("queries/slowest_offices")
def test_slowest_offices(db: Path) -> None:
    """Release time P90 and median per office over the last 30 days."""
    assert run(db, "slowest_offices") == [("03CC", "03", 2, pytest.approx(13.0), pytest.approx(21.8))]


def test_csv_of_a_nested_column_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A list or struct column cannot be CSV: a ConfigError naming the columns and the formats that can, not a traceback."""
    import polars as pl

    from streams.cli.common import as_flag
    from streams.cli.output import write_result
    from streams.errors import ConfigError
    from streams.read import QueryResult, Source

    frame = pl.DataFrame({"dept": ["03"], "codes": [["A11", "B11"]], "pair": [{"a": 1, "b": 2}]})
    result = QueryResult(frame, False, Source(tmp_path / "x.duckdb", True, None))
    with pytest.raises(ConfigError) as info:
        write_result(result, "csv", None)
    expected = "json or parquet: column(s) codes, pair hold nested values that CSV cannot"
    assert str(as_flag(info.value)) == f"setting --format='csv' is invalid: expected {expected}"
    write_result(result, "json", None)
    assert capsys.readouterr().out == '{"dept":"03","codes":["A11","B11"],"pair":{"a":1,"b":2}}\n'


def test_terminal_cells_read_as_people_write_them() -> None:
    """Billions of đồng with separators, per cent, short Vietnamese names; exact values stay for csv/json/parquet."""
    from streams.cli.output import cell, heading

    assert cell("shortfall_vnd", 17_370_831_234_567_890) == "17,370,831"
    assert cell("ytd_vnd", 54_667_000_000_000) == "54,667"
    assert cell("refund_vnd", 12_340_000_000) == "12.3"
    assert cell("refund_vnd", 1_000_000) == "0.001"
    assert cell("pace_ratio", 0.8163) == "81.6%"
    assert cell("declarations", 1234567) == "1,234,567"
    assert cell("department", "Lang Son Customs Department", {"Lang Son Customs Department": "Lạng Sơn"}) == "Lạng Sơn"
    assert (heading("plan_to_date_vnd"), heading("pace_ratio"), heading("department_code")) == ("plan to date", "pace", "dept")
    # Numbers that name rather than count: no separators.
    assert (cell("year", 2021), cell("snapshot_id", 12345), cell("schema_version", 1042), cell("offset", 1_000_000)) == (
        "2021", "12345", "1042", "1000000",
    )  # fmt: skip


def test_a_table_wider_than_the_terminal_shows_every_column_and_value_whole() -> None:
    """lake.snapshots() has seven columns and long values: in 80 columns it lost four of them and
    folded values over two lines. Now the table is as wide as its values, every value on its row."""
    import io

    from rich.console import Console

    from streams.cli.output import cell, write_result

    frame = pl.DataFrame(
        {
            "snapshot_id": [812, 813],
            "snapshot_time": [datetime(2026, 12, 7, 9, 30, 1, 123456, tzinfo=UTC)] * 2,
            "schema_version": [3, 3],
            "changes": ["{'tables_inserted_into': [1, 2, 3, 4, 5, 6, 7]}"] * 2,
            "author": [None, None],
            "commit_message": ["publication of the store's batch 1234", "upkeep: merge and expire"],
            "commit_extra_info": [None, None],
        }
    )
    out = io.StringIO()
    write_result(QueryResult(frame, False, Source("x", True, None)), "table", None, Console(file=out, width=80, color_system=None))
    lines = out.getvalue().splitlines()
    rows = [line for line in lines if line.lstrip().startswith(("812 ", "813 "))]
    assert len(rows) == 2, lines  # one line a row: nothing folded
    for row, values in zip(rows, frame.iter_rows(), strict=True):
        for column, value in zip(frame.columns, values, strict=True):
            assert cell(column, value) in row, (column, row)
    assert sum("snap" in line for line in lines) >= 1 and sum("extr" in line for line in lines) >= 1  # every heading is there


@pytest.mark.parametrize("name", ["behind_pace", "shortfall_by_tax_type", "red_channel_share_month", "slowest_offices"])
def test_ready_queries_read_well_in_an_80_column_terminal(db: Path, name: str) -> None:
    """Every value of a ready query shows whole, as cell() writes it, within 80 columns."""
    import io

    from rich.console import Console

    from streams.cli.output import cell, write_result

    con, source = open_sandbox(db)
    result = run_query(con, source, (queries_dir() / f"{name}.sql").read_text(), params={"as_of": AS_OF.astimezone(UTC)})
    con.close()
    out = io.StringIO()
    write_result(result, "table", None, Console(file=out, width=80, color_system=None))
    text = out.getvalue()
    assert max(len(line) for line in text.splitlines()) <= 80, text
    assert result.frame.height > 0
    for column, dtype in result.frame.schema.items():
        if dtype.is_numeric():
            for value in result.frame[column].drop_nulls():
                assert cell(column, value) in text, (column, value, text)
    money = any(c.endswith("_vnd") for c in result.frame.columns)
    assert ("amounts in billions of đồng; exact values: --format csv, json or parquet" in text) == money  # on one line
    if name == "behind_pace":
        assert "Hải Phòng" in text and "Customs Department" not in text
