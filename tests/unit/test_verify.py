"""`customs-kpi verify` and the consumer's continuous checks: the store, its aggregates and its lake
broken on purpose (a row deleted, an aggregate changed, a publication skipped, a publication that
lost a row, positions recorded twice) and each break caught, by the command (exit 1, the difference
printed) and by the publisher (on_verified, as /metrics exports it). Real DuckDB, real DuckLake."""

from __future__ import annotations

import subprocess
import time
from dataclasses import astuple
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from streams.config import lake_for
from streams.consume.publisher import LakePublisher
from streams.kpi.targets import load_targets
from streams.lake import LakeWriter, attach
from streams.read.verify import broker, verify_store
from streams.store import sqlfiles, write_reference
from tests.support.factories import declaration, revenue, seizure
from tests.support.stores import Feed, run_cli

NOW = datetime(2021, 7, 1, 3, tzinfo=UTC)


def _revenue(n: int, start: int, day: int = 1) -> list[dict]:  # type: ignore[type-arg]
    return [
        revenue(event_id=f"r{start + i}", amount_vnd=1_000_000 + start + i, occurred_at=f"2021-06-{day:02d}T09:{i % 60:02d}:00+07:00")
        for i in range(n)
    ]


@pytest.fixture
def published(tmp_path: Path) -> Feed:
    """A store of two batches (revenue on two days, a declaration, a seizure, a reject, a duplicate),
    both published to its lake; the store closed, as `verify` wants it."""
    feed = Feed(tmp_path / "customs.duckdb")
    write_reference(feed.store, load_targets())
    writer = LakeWriter(feed.store, lake_for(feed.path))
    feed.write(revenue=[*_revenue(20, 0), b"{not json"], declaration=[declaration(event_id="d1")], seizure=[seizure(event_id="s1")])
    writer.publish(NOW, reference=True)
    feed.write(revenue=[*_revenue(20, 0)[15:], *_revenue(5, 20, day=2)])  # r15..r19 again: duplicates
    writer.publish(NOW, reference=False)
    writer.close()
    feed.store.close()
    return feed


def _lake(feed: Feed, sql: str) -> None:
    """A change made to the lake from outside the product (a bug, or a hand on the files)."""
    con = duckdb.connect(":memory:")
    try:
        attach(con, lake_for(feed.path), read_only=False)
        con.execute(sql)
    finally:
        con.close()


def _store(feed: Feed, sql: str) -> None:
    con = duckdb.connect(str(feed.path))
    try:
        con.execute(sql)
    finally:
        con.close()


def _cli(feed: Feed) -> subprocess.CompletedProcess[str]:
    return run_cli("verify", "--db", str(feed.path), columns=200)


def test_a_healthy_store_and_lake_have_no_differences(published: Feed) -> None:
    result = verify_store(published.path, lake_for(published.path), None)
    assert result.checked == ("offsets", "aggregates", "lake") and result.differences == []
    assert result.lake_version is not None and result.lake_version >= 2
    # 20 + 10 - 5 revenue events, 5 duplicates, 1 reject; 31 revenue records read (offsets 0..30)
    assert [astuple(t) for t in result.totals] == [
        ("customs.declarations", 1, 0, 0, 1),
        ("customs.revenue", 25, 5, 1, 31),
        ("customs.seizures", 1, 0, 0, 1),
    ]
    shown = _cli(published)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert "no differences" in shown.stdout and "checked: offsets, aggregates, lake (lake version" in shown.stdout


def test_a_row_deleted_from_the_lake_is_caught(published: Feed) -> None:
    _lake(published, "DELETE FROM lake.revenue WHERE event_id = 'r3'")
    found = verify_store(published.path, lake_for(published.path), None).differences
    amount = sum(1_000_000 + i for i in range(20))
    assert [(d.check, d.where, d.detail) for d in found] == [
        ("lake", "revenue 03 2021-06-01", f"store 20 rows, amount {amount}; lake 19 rows, amount {amount - 1_000_003}"),
        ("lake", "agg_revenue_day", "2 rows differ from their recomputation from the lake's revenue"),
    ]
    shown = _cli(published)
    assert shown.returncode == 1 and "2 differences (check: where: how):" in shown.stdout
    assert f"lake: revenue 03 2021-06-01: store 20 rows, amount {amount}; lake 19 rows" in shown.stdout


def test_an_aggregate_changed_in_the_store_is_caught(published: Feed) -> None:
    _store(published, "UPDATE agg_revenue_total SET amount_vnd = amount_vnd + 1")
    found = verify_store(published.path, lake_for(published.path), None).differences
    assert [(d.check, d.where) for d in found] == [("aggregates", "agg_revenue_total")]
    assert found[0].detail == "2 rows differ from their recomputation from the stored rows"  # the wrong row and the right one


def test_rows_deleted_from_the_store_are_caught_by_the_aggregates_and_the_lake(published: Feed) -> None:
    _store(published, "DELETE FROM seizures")
    found = {(d.check, d.where) for d in verify_store(published.path, lake_for(published.path), None).differences}
    assert found == {
        ("aggregates", "agg_seizures_day"),
        ("aggregates", "agg_seizures_total"),
        ("aggregates", "agg_streams"),
        ("aggregates", "agg_records"),
        ("lake", "seizures 03 2021-06-01"),
    }


def test_a_skipped_publication_is_caught(published: Feed) -> None:
    """The lake records a publication of batch 3 that never wrote its rows."""
    feed = published
    feed.store = Feed(feed.path).store
    feed.write(revenue=_revenue(4, 100, day=3))
    feed.store.close()
    _lake(
        feed,
        "INSERT INTO lake.lake_publications "
        "SELECT 3, changed_seq, published_at, 4, 0, store_id, offsets, epoch FROM lake.lake_publications LIMIT 1",
    )
    found = verify_store(feed.path, lake_for(feed.path), None).differences
    amount = sum(1_000_000 + 100 + i for i in range(4))
    assert [(d.check, d.where, d.detail) for d in found] == [
        ("lake", "revenue 03 2021-06-03", f"store 4 rows, amount {amount}; lake 0 rows, amount 0")
    ]


def test_positions_recorded_twice_are_caught(published: Feed) -> None:
    _store(
        published, "INSERT INTO duplicates SELECT source_topic, source_partition, source_offset, event_id, now(), 2, 0 FROM revenue LIMIT 1"
    )
    found = verify_store(published.path, lake_for(published.path), None).differences
    assert [(d.check, d.where, d.detail) for d in found if d.check == "offsets"] == [
        ("offsets", "customs.revenue[0]", "32 records share 31 positions")
    ]


def test_a_store_without_a_lake_is_checked_on_its_own(tmp_path: Path) -> None:
    feed = Feed(tmp_path / "customs.duckdb")
    feed.write(revenue=_revenue(3, 0))
    feed.store.close()
    result = verify_store(feed.path, lake_for(feed.path), None)
    assert result.checked == ("offsets", "aggregates") and result.lake_version is None and result.differences == []
    assert not lake_for(feed.path).sqlite_file.exists()  # type: ignore[union-attr]  # verify created no lake


def test_the_broker_side(published: Feed) -> None:
    """Stored offsets past the log's end, another topic id, a partition the broker lacks (logs as
    streams.kafka.topics.partition_logs gives them; the real broker in tests/integration)."""
    con = duckdb.connect(str(published.path), read_only=True)
    try:
        con.execute("SELECT 1")
        logs = {("customs.revenue", 0): (31, None), ("customs.declarations", 0): (1, None), ("customs.seizures", 0): (1, None)}
        assert broker(con, logs) == []
        logs[("customs.revenue", 0)] = (30, None)  # the log ends before what the store read
        del logs[("customs.seizures", 0)]
        assert [(d.where, d.detail) for d in broker(con, logs)] == [
            ("customs.revenue[0]", "the store holds offset 31, past the log's end 30"),
            ("customs.seizures[0]", "the store holds offset 1; the broker has no such partition"),
        ]
    finally:
        con.close()


def test_the_publisher_checks_each_publication_and_on_its_upkeep_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    feed = Feed(tmp_path / "customs.duckdb")
    write_reference(feed.store, load_targets())
    seen: list[tuple[str, int]] = []
    publisher = LakePublisher(
        feed.store,
        lake_for(feed.path),
        0.0,
        3600.0,
        lambda: NOW,
        on_verified=lambda check, differences, _s: seen.append((check, differences)),
    )
    feed.write(revenue=_revenue(5, 0))
    publisher.maybe_publish(final=True)  # as at the consumer's start: nothing more
    assert seen == [("published", 0)]
    feed.write(revenue=_revenue(1, 40))
    assert publisher.maybe_publish()  # the first one nobody waits for: the full checks once, long before the upkeep
    publisher.wait()
    assert seen == [("published", 0), ("published", 0), ("offsets", 0), ("aggregates", 0), ("lake", 0)]

    # A publication that loses a row on the way (as a bug in its SQL would): caught by the next check.
    real = sqlfiles.statement

    def losing(name: str, **fill: str) -> str:
        text = real(name, **fill)
        return text + " AND event_id <> 'r7'" if name == "lake/append_events" else text

    monkeypatch.setattr("streams.store.sqlfiles.statement", losing)
    feed.write(revenue=_revenue(5, 5))
    publisher.maybe_publish(final=True)
    assert seen[-1] == ("published", 1)
    monkeypatch.undo()

    # The upkeep's turn: the full checks run after it, and see the lost row and a broken aggregate.
    with feed.store.reader() as con:
        con.execute("INSERT INTO agg_rejects VALUES ('customs.revenue', 'invalid_json', 1)")  # a reject never stored
    publisher.maintain_every_s = 0.001
    time.sleep(0.01)
    feed.write(revenue=_revenue(1, 50))
    publisher.maybe_publish(final=True)
    publisher.close()
    # the lake: the lost row, and its revenue aggregate (from the store's rows) against its rows
    assert seen[-4:] == [("published", 0), ("offsets", 0), ("aggregates", 1), ("lake", 2)]


def test_a_lake_of_another_store_is_named_as_such(published: Feed, tmp_path: Path) -> None:
    """A store recreated at the lake's path: one difference saying whose the lake is, not one per day."""
    published.path.unlink()
    fresh = Feed(published.path)
    fresh.write(revenue=_revenue(2, 0))
    fresh.store.close()
    found = verify_store(published.path, lake_for(published.path), None).differences
    assert [(d.check, d.where) for d in found] == [("lake", "store")]
    assert found[0].detail.startswith("the lake's publications come from store ")


def test_a_store_of_an_older_release_is_a_clear_refusal(published: Feed) -> None:
    """verify opens the store read-only, so it cannot migrate it: an older schema is named, not a traceback."""
    from streams.store import migrations

    newest = max(version for version, _ in migrations())
    _store(published, f"DELETE FROM schema_migrations WHERE version = {newest}")  # as the release before left it
    shown = _cli(published)
    assert shown.returncode == 2 and "Traceback" not in shown.stderr, shown.stderr
    assert f"a store at this release's schema version {newest} (it is at {newest - 1}" in shown.stderr


def test_a_value_changed_in_place_is_caught_by_the_fingerprint(published: Feed) -> None:
    """A collection turned into a refund (same count, same amount) or a status changed: the rows'
    fingerprint per department and day differs."""
    _lake(published, "UPDATE lake.revenue SET kind = 'refund' WHERE event_id = 'r3'")
    _lake(published, "UPDATE lake.declarations SET status = 'cancelled'")
    found = [(d.check, d.where, d.detail) for d in verify_store(published.path, lake_for(published.path), None).differences]
    same = "; the same count and amount, but values differ in other columns"
    assert ("lake", "declarations 03 2021-06-01", f"store 1 rows, amount 0; lake 1 rows, amount 0{same}") in found
    assert [w for c, w, d in found if w.startswith("revenue ")] == ["revenue 03 2021-06-01"]


def test_what_cannot_be_read_is_said_plainly(published: Feed, tmp_path: Path) -> None:
    """A missing store or an explicit lake that does not exist: exit 2, naming the setting. A lake
    data file gone: a difference (the lake cannot be what the store holds), exit 1. No traceback."""
    missing = run_cli("verify", "--db", str(tmp_path / "nope.duckdb"))
    assert missing.returncode == 2 and "an existing store" in missing.stderr and "Traceback" not in missing.stderr
    typo = run_cli("verify", "--db", str(published.path), "--lake", f"sqlite:{tmp_path / 'typo' / 'c.sqlite'}")
    assert typo.returncode == 2 and "an existing lake" in typo.stderr and "Traceback" not in typo.stderr
    for file in Path(lake_for(published.path).data_path).rglob("*.parquet"):
        if "/revenue/" in str(file):
            file.unlink()
    shown = _cli(published)
    assert shown.returncode == 1 and "Traceback" not in shown.stderr, shown.stderr
    assert "lake: files: the lake cannot be read:" in shown.stdout


def test_a_lake_behind_its_store_is_said(published: Feed) -> None:
    feed = published
    feed.store = Feed(feed.path).store
    feed.write(revenue=_revenue(2, 200, day=4))  # batch 3, never published: the consumer was killed before it
    feed.store.close()
    shown = _cli(feed)
    assert shown.returncode == 0 and "note: the lake holds batches up to 2 of the store's 3" in shown.stdout
