"""Aggregates kept batch by batch equal the same aggregates recomputed from the rows, after a stream
with duplicates, conflicts, refunds, late and out-of-order events, replays, restarts, a lost index
and a crash between DuckDB's commit and the index write. Real DuckDB, real RocksDB index."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pytest

from streams.contract import EVENT_TYPES
from streams.decode import decode_batch
from streams.decode.batch import RawBatch, replay_frame
from streams.store import aggregates, open_store
from streams.store.state import StateStore, state_path
from tests.support.factories import declaration, encode, revenue, seizure
from tests.support.stores import Feed

NOW = datetime(2021, 7, 1, tzinfo=UTC)
SPECS = {name: EVENT_TYPES[name] for name in ("revenue", "declaration", "seizure")}


def _declaration(number: str, status: str, at: str, event_id: str, channel: str | None = "green", **over: object) -> dict:  # type: ignore[type-arg]
    event = declaration(event_id=event_id, declaration_no=number, status=status, occurred_at=at, **over)
    if channel is None:
        event.pop("channel")
    else:
        event["channel"] = channel
    return event


@pytest.fixture
def feed(tmp_path: Path) -> Feed:
    return Feed(tmp_path / "agg.duckdb")


def test_aggregates_equal_the_rows_after_a_hard_stream(feed: Feed) -> None:
    """Every aggregate table equals its recomputation from the rows at every step; key figures are exact."""
    r1 = revenue(event_id="r1", amount_vnd=1000, occurred_at="2021-03-01T09:00:00+07:00")
    r2 = revenue(event_id="r2", amount_vnd=300, kind="refund", tax_type="import_duty", occurred_at="2021-03-01T10:00:00+07:00")
    r3 = revenue(event_id="r3", department_code="15", office_code="15BB", amount_vnd=10**15 - 1, occurred_at="2021-03-02T09:00:00+07:00")
    s1 = seizure(
        event_id="s1", category="drugs", drug_quantity=2.0, drug_unit="kg", prosecuted=True, occurred_at="2021-03-01T08:00:00+07:00"
    )
    counts = feed.write(
        revenue=[r1, r2, r3, r1, {**r1, "amount_vnd": 5}, b"{broken"],  # in-batch duplicate and conflict, bad JSON
        declaration=[
            _declaration("100000000001", "registered", "2021-03-01T08:00:00+07:00", "d1"),
            _declaration("100000000002", "cleared", "2021-03-01T12:00:00+07:00", "d2c", channel="red"),  # cleared first
            _declaration("100000000003", "registered", "2021-03-01T08:00:00+07:00", "d3", channel="yellow"),
        ],
        seizure=[s1],
    )
    assert counts == {
        "accepted": {"customs.revenue": 3, "customs.declarations": 3, "customs.seizures": 1},
        "duplicates": {"customs.revenue": 1, "customs.declarations": 0, "customs.seizures": 0},
        "rejected": {"conflicting_duplicate": 1, "invalid_json": 1},
    }
    assert feed.audit() == {}

    counts = feed.write(
        revenue=[r1, {**r2, "amount_vnd": 301}],  # a duplicate and a conflict with stored events
        declaration=[
            _declaration("100000000001", "cleared", "2021-03-01T08:30:00+07:00", "d1c"),  # R then C: 30 minutes
            _declaration("100000000003", "cancelled", "2021-03-01T09:00:00+07:00", "d3x", channel=None),
        ],
    )
    assert counts["duplicates"]["customs.revenue"] == 1 and counts["rejected"] == {"conflicting_duplicate": 1}
    assert feed.audit() == {}

    feed.reopen()  # a restart: the index is read back from disk
    counts = feed.write(
        revenue=[
            r1,  # still a duplicate after the restart
            revenue(event_id="late", amount_vnd=40, occurred_at="2021-01-05T09:00:00+07:00"),  # late: January
            revenue(event_id="last-year", amount_vnd=7, occurred_at="2020-12-31T16:59:59Z"),  # 31 Dec 2020, local
            revenue(event_id="bad-dept", department_code="99"),
        ],
        declaration=[
            _declaration("100000000002", "registered", "2021-03-01T07:00:00+07:00", "d2", channel="red"),  # completes C-before-R: 5 h
            # an earlier registration of 100000000001 arrives late: the pair becomes 07:30 -> 08:30, channel red
            _declaration("100000000001", "registered", "2021-03-01T07:30:00+07:00", "d1-early", channel="red"),
        ],
        seizure=[seizure(event_id="s2", occurred_at="2021-02-16T00:00:00+07:00")],
    )
    assert counts["duplicates"]["customs.revenue"] == 1 and counts["rejected"] == {"unknown_department": 1}
    assert feed.audit() == {}

    assert feed.rows("SELECT channel, le, releases, release_us FROM agg_release ORDER BY ALL") == [
        ("red", 3600.0, 1, 3600 * 10**6),  # 100000000001: one hour, now red
        ("red", 28800.0, 1, 5 * 3600 * 10**6),  # 100000000002: five hours
    ]
    assert feed.rows("SELECT day, kind, tax_type, receipts, amount_vnd FROM agg_revenue_day WHERE department_code = '03' ORDER BY ALL") == [
        (date(2020, 12, 31), "collection", "vat", 1, 7),
        (date(2021, 1, 5), "collection", "vat", 1, 40),
        (date(2021, 3, 1), "collection", "vat", 1, 1000),
        (date(2021, 3, 1), "refund", "import_duty", 1, 300),
    ]
    assert feed.rows("SELECT amount_vnd FROM agg_revenue_total WHERE department_code = '15'") == [(10**15 - 1,)]
    assert feed.rows("SELECT topic, outcome, records FROM agg_records ORDER BY ALL") == [
        ("customs.declarations", "accepted", 7),
        ("customs.revenue", "accepted", 5),
        ("customs.revenue", "duplicate", 3),
        ("customs.revenue", "rejected", 4),
        ("customs.seizures", "accepted", 2),
    ]
    assert feed.rows("SELECT department_code, stream, events FROM agg_streams ORDER BY ALL") == [
        ("03", "declarations", 7),
        ("03", "revenue", 4),
        ("03", "seizures", 2),
        ("15", "revenue", 1),
    ]


def test_a_lost_index_write_is_caught_up_before_the_next_batch(feed: Feed, monkeypatch: pytest.MonkeyPatch) -> None:
    """Committed in DuckDB but not in the index (a crash in between): the next batch still sees those events as stored."""
    feed.write(revenue=[revenue(event_id="a", amount_vnd=1)])
    real = StateStore.write
    calls = []

    def fail_once(self: StateStore, *args: object) -> None:
        if not calls:
            calls.append(1)
            raise OSError("disk full")
        real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(StateStore, "write", fail_once)
    counts = feed.write(
        revenue=[revenue(event_id="b", amount_vnd=2)],
        declaration=[_declaration("100000000009", "registered", "2021-03-01T08:00:00+07:00", "dr")],
    )
    assert counts["accepted"] == {"customs.revenue": 1, "customs.declarations": 1} and calls == [1]
    assert feed.store._index is not None and feed.store._index.state.watermark == 1  # the index missed batch 2
    counts = feed.write(
        revenue=[revenue(event_id="b", amount_vnd=2), revenue(event_id="b", amount_vnd=3)],
        declaration=[_declaration("100000000009", "cleared", "2021-03-01T09:00:00+07:00", "dc")],
    )
    assert counts["duplicates"] == {"customs.revenue": 1, "customs.declarations": 0}
    assert counts["rejected"] == {"conflicting_duplicate": 1}
    assert feed.rows("SELECT count(*), sum(amount_vnd) FROM revenue") == [(2, 3)]
    assert feed.rows("SELECT le, releases FROM agg_release") == [(3600.0, 1)]  # the registration of batch 2 was found
    assert feed.audit() == {}


@pytest.mark.parametrize("damage", ["deleted", "another database's"])
def test_a_missing_or_foreign_index_is_rebuilt_from_the_rows(feed: Feed, tmp_path: Path, damage: str) -> None:
    """On open, an index that is gone or belongs to another database file is rebuilt; duplicates and pairs still count right."""
    feed.write(
        revenue=[revenue(event_id=f"e{i}", amount_vnd=i) for i in range(1, 101)],
        declaration=[_declaration("100000000007", "registered", "2021-03-01T08:00:00+07:00", "dr")],
    )
    feed.store.close()
    if damage == "deleted":
        shutil.rmtree(state_path(feed.path))
    else:
        other = open_store(tmp_path / "other.duckdb")
        other.close()
        shutil.rmtree(state_path(feed.path))
        shutil.copytree(state_path(tmp_path / "other.duckdb"), state_path(feed.path))
    feed.store = open_store(feed.path)
    counts = feed.write(
        revenue=[revenue(event_id="e50", amount_vnd=50), revenue(event_id="e51", amount_vnd=0 + 1)],
        declaration=[_declaration("100000000007", "cleared", "2021-03-01T08:10:00+07:00", "dc")],
    )
    assert counts["duplicates"]["customs.revenue"] == 1 and counts["rejected"] == {"conflicting_duplicate": 1}
    assert feed.rows("SELECT count(*), sum(amount_vnd) FROM revenue") == [(100, 5050)]
    assert feed.rows("SELECT le, releases FROM agg_release") == [(900.0, 1)]
    assert feed.audit() == {}


def test_replayed_rejects_count_once_in_the_aggregates(feed: Feed) -> None:
    """A reject replayed and accepted adds its event to the aggregates once; replaying again adds nothing."""
    fixed = encode(revenue(event_id="fixed", amount_vnd=77))
    feed.write(revenue=[fixed])  # accepted now; pretend an older reference had rejected it at offset 5
    with feed.store.reader() as con:
        con.execute(
            "INSERT INTO rejects (source_topic, source_partition, source_offset, raw_value, reason, detail, rejected_at, batch_seq) "
            "VALUES ('customs.revenue', 0, 5, ?, 'unknown_department', 'old', now(), 0)",
            [encode(revenue(event_id="other", amount_vnd=5))],
        )
        con.execute("UPDATE agg_rejects SET rejects = rejects + 1 WHERE topic = 'customs.revenue' AND reason = 'unknown_department'")
        con.execute("INSERT INTO agg_rejects SELECT 'customs.revenue', 'unknown_department', 1 WHERE NOT EXISTS (FROM agg_rejects)")
        con.execute("UPDATE agg_records SET records = records + 1 WHERE outcome = 'rejected'")
        con.execute(
            "INSERT INTO agg_records SELECT 'customs.revenue', 'rejected', 1 WHERE NOT EXISTS (FROM agg_records WHERE outcome = 'rejected')"
        )
    assert feed.audit() == {}
    replayed = encode(revenue(event_id="other", amount_vnd=5))
    for offset in (10, 11):
        raw = RawBatch("customs.revenue", [0], [offset], [None], [replayed], [(0, offset, replayed, "customs.revenue", 0, 5)])
        batch = decode_batch(SPECS["revenue"], raw, NOW)
        feed.store.write_batch([(SPECS["revenue"], batch)], {("customs.revenue", 0): offset + 1}, NOW, replay_frame([raw]))
    assert feed.rows("SELECT sum(amount_vnd) FROM agg_revenue_total") == [(82,)]
    assert feed.rows("SELECT replay_status FROM rejects") == [("accepted",)]
    assert feed.audit() == {}


def test_rebuild_replaces_damaged_aggregates(feed: Feed) -> None:
    """A damaged aggregate is reported by the audit and fixed by a rebuild from the rows."""
    feed.write(revenue=[revenue(event_id="x", amount_vnd=10)])
    with feed.store.reader() as con:
        con.execute("UPDATE agg_revenue_total SET amount_vnd = 11")
    problems = feed.audit()
    assert list(problems) == ["agg_revenue_total"]
    assert sorted(problems["agg_revenue_total"]["problem"].to_list()) == [
        "in agg_revenue_total, not recomputed from the rows",
        "recomputed from the rows, not in agg_revenue_total",
    ]
    with feed.store.reader() as con:
        aggregates.rebuild(con)
    assert feed.audit() == {}
    assert feed.rows("SELECT amount_vnd FROM agg_revenue_total") == [(10,)]


def test_the_verify_command_reports_differences_and_rebuild_fixes_them(feed: Feed) -> None:
    """`customs-kpi aggregates verify` exits 0 on a healthy file, 1 naming the table on a damaged one; `rebuild` repairs it."""
    import subprocess

    from tests.support.stores import run_cli

    feed.write(revenue=[revenue(event_id="v", amount_vnd=10)], seizure=[seizure(event_id="s")])
    feed.store.close()

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli("aggregates", *args, "--db", str(feed.path))

    healthy = cli("verify")
    assert healthy.returncode == 0, healthy.stderr
    assert "every aggregate equals its recomputation from the rows" in healthy.stdout
    assert f"read {feed.path} directly" in healthy.stderr
    with duckdb.connect(str(feed.path)) as con:
        con.execute("UPDATE agg_seizures_total SET cases = 5")
    damaged = cli("verify")
    assert damaged.returncode == 1
    assert "agg_seizures_total" in damaged.stdout and "1 aggregate tables differ from the rows" in damaged.stderr
    rebuilt = cli("rebuild")
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert cli("verify").returncode == 0
