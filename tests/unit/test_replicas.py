"""A replica pair's lake: each replica stores every partition in a store of its own, one leader
publishes. The leader's epoch fences an older one; a takeover is keyed to Kafka's offsets, so the
lake holds every event once although the replicas stored duplicates and conflicting copies that
arrived on different partitions in another order. Real DuckDB, real DuckLake (SQLite catalog)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from streams.config import Lake, lake_for
from streams.errors import ConfigError, LakeFencedError
from streams.lake import LakeWriter, attach, current_leader, restore_from_lake
from streams.read.verify import lake as lake_check
from tests.support.replicas import NOW, P0_HEAD, P0_TAIL, P1_HEAD, P1_TAIL, Replica, ev, in_lake
from tests.support.sqlcover import covers


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[tuple[Replica, Replica, Lake]]:
    lake = lake_for(tmp_path / "a.duckdb", f"sqlite:{tmp_path / 'catalog.sqlite'}", str(tmp_path / "lake-data"))
    a, b = Replica(tmp_path / "a.duckdb", lake, "a"), Replica(tmp_path / "b.duckdb", lake, "b")
    yield a, b, lake
    a.close()
    b.close()


@covers(
    "lake/leader/take",
    "lake/leader/hold",
    "lake/leader/current",
    "lake/takeover/behind",
    "lake/takeover/bounds",
    "lake/takeover/lowest",
    "lake/takeover/append_events",
    "lake/takeover/append_rejects",
    "lake/takeover/append_conflicts",
    "lake/takeover/held_copies",
    "lake/takeover/lake_copies",
    "lake/takeover/delete_revenue_days",
    "lake/takeover/append_revenue_days",
    "lake/takeover/adopt_dlq",
)
def test_a_takeover_continues_the_lake_at_kafkas_offsets_with_every_event_once(pair: tuple[Replica, Replica, Lake]) -> None:
    a, b, lake = pair
    for replica in (a, b):
        replica.write(0, P0_HEAD)
        replica.write(1, P1_HEAD)
    assert a.writer.lead(NOW).epoch == 1
    first = a.writer.publish(NOW, reference=True)
    assert first is not None and first.events == 20 and not first.takeover
    a.write(0, P0_TAIL)  # a: x and y from partition 0
    assert a.writer.publish(NOW, reference=False) is not None
    a.write(1, P1_TAIL)  # then their copies from partition 1 (stored by a, never published: a stops)

    b.write(1, P1_TAIL)  # b: x and y from partition 1 first
    b.write(0, P0_TAIL)
    b.write(0, [ev(200), ev(201)])  # records past where a got to
    assert b.writer.lead(NOW + timedelta(seconds=1)).epoch == 2

    with pytest.raises(LakeFencedError, match="replica b leads it since epoch 2"):
        a.writer.publish(NOW, reference=False)  # a's lead is gone: refused, and it steps down
    assert a.writer.lead_held is None

    done = b.writer.publish(NOW + timedelta(seconds=2), reference=False)
    assert done is not None and done.takeover
    # Past the lake's offsets (partition 0 at 12, partition 1 at 10): b's rows r200, r201 and its copies
    # of x and y from partition 1, of which the lake holds x and y already (a took them from partition 0):
    # x, identical, is a duplicate; y, conflicting, is a reject, as if one replica had read both.
    assert (done.events, done.rejects) == (2, 2)
    ids = in_lake(lake, "SELECT event_id, count(*) FROM revenue GROUP BY ALL HAVING count(*) > 1")
    assert ids == []  # no event twice
    expected = sorted([f"r{i}" for i in range(20)] + ["r100", "r101", "r200", "r201"])
    assert [r[0] for r in in_lake(lake, "SELECT event_id FROM revenue ORDER BY event_id")] == expected
    assert in_lake(lake, "SELECT sum(amount_vnd) FROM revenue") == [(sum(1_000 + int(e[1:]) for e in expected),)]
    assert in_lake(lake, "SELECT source_partition, source_offset, reason FROM rejects ORDER BY ALL") == [
        (1, 11, "conflicting_duplicate"),
        (1, 12, "invalid_json"),
    ]
    ((raw, detail),) = in_lake(lake, "SELECT raw_value, detail FROM rejects WHERE reason = 'conflicting_duplicate'")
    stored = {k: v for k, v in json.loads(raw).items() if v is not None and k != "occurred_at"}
    assert stored == {k: v for k, v in P1_TAIL[1].items() if k != "occurred_at"}  # type: ignore[union-attr]  # the copy b stored
    assert detail.startswith("event_id r101 is in the lake with different content, from a copy the other replica took first")
    # The lake's aggregate of the days b's rows fall on is b's, and equals the lake's rows.
    assert in_lake(lake, "SELECT sum(amount_vnd) FROM agg_revenue_day") == in_lake(lake, "SELECT sum(amount_vnd) FROM revenue")
    assert in_lake(lake, "SELECT epoch, replica FROM lake_leader") == [(2, "b")]

    # From here on the lake mirrors b, batch by batch.
    b.write(1, [ev(300)])
    after = b.writer.publish(NOW + timedelta(seconds=3), reference=False)
    assert after is not None and not after.takeover and after.events == 1
    assert in_lake(lake, "SELECT count(*), count(DISTINCT event_id) FROM revenue") == [(25, 25)]
    # b's store against the lake: the same. b kept y from partition 1, the lake from partition 0: an
    # event with a conflicting duplicate is only counted (which copy is kept depends on the order).
    assert lake_check(b.writer.connection) == []
    in_b = b.store.cursor()
    in_b.execute("UPDATE revenue SET amount_vnd = amount_vnd + 1 WHERE event_id = 'r200'")  # a value changed in place shows
    found = lake_check(b.writer.connection)
    assert [(d.where, d.detail) for d in found] == [("revenue 03 2021-06-01", "store 25 rows, amount 24992; lake 25 rows, amount 24991")]
    in_b.execute("UPDATE revenue SET amount_vnd = amount_vnd - 1 WHERE event_id = 'r200'")
    in_b.close()

    # a comes back: it leads again only once it has stored what the lake holds.
    assert a.writer.lead(NOW + timedelta(seconds=4)).epoch == 3
    assert a.writer.publish(NOW, reference=False) is None
    assert [(w.topic, w.partition, w.lake_offset, w.own_offset) for w in a.writer.waiting] == [
        ("customs.revenue", 0, 14, 12),
        ("customs.revenue", 1, 14, 13),
    ]
    a.write(0, [ev(200), ev(201)])
    a.write(1, [ev(300), ev(400)])  # the same log b read, and one record more
    back = a.writer.publish(NOW, reference=False)
    assert back is not None and back.takeover and (back.events, back.rejects) == (1, 0)  # r400 only
    assert in_lake(lake, "SELECT count(*), count(DISTINCT event_id) FROM revenue") == [(26, 26)]
    with duckdb.connect() as con:
        attach(con, lake, read_only=True)
        leader = current_leader(con)
    assert (leader.epoch, leader.replica, leader.publications) == (3, "a", 1)


@covers("lake/restore/numbering")
def test_a_replica_restored_from_the_pairs_lake_takes_over_with_nothing_missing(
    pair: tuple[Replica, Replica, Lake], tmp_path: Path
) -> None:
    """The lake of a pair holds rows both replicas numbered: a replica restored from it is a store of
    its own, numbering its batches after all of them, whose first publication is a takeover."""
    a, b, lake = pair
    for replica in (a, b):
        replica.write(0, P0_HEAD)
    a.writer.lead(NOW)
    assert a.writer.publish(NOW, reference=True) is not None
    for replica in (a, b):
        replica.write(1, P1_HEAD)
        replica.write(1, [ev(i) for i in range(20, 40)])  # b numbers these batches 2 and 3, as a does
    b.writer.lead(NOW)
    assert b.writer.publish(NOW, reference=False) is not None  # a takeover: the lake now has rows of both
    a.close()

    restored_db = tmp_path / "a-restored" / "customs.duckdb"
    with pytest.raises(ConfigError, match="a replica pair published this lake"):
        restore_from_lake(restored_db, lake, NOW)
    done = restore_from_lake(restored_db, lake, NOW, replica="a")
    assert (done.events, done.batch_seq) == (40, 3)  # after the highest batch in the lake: a's and b's 3
    again = Replica(restored_db, lake, "a")
    try:
        again.next = {("customs.revenue", 0): 10, ("customs.revenue", 1): 30}
        again.write(1, [ev(40)])
        b.writer.close()
        again.writer.lead(NOW)
        back = again.writer.publish(NOW, reference=False)
        assert back is not None and back.takeover and back.events == 1 and back.batch_seq == 4
        assert in_lake(lake, "SELECT count(*), count(DISTINCT event_id), sum(amount_vnd) FROM revenue") == [
            (41, 41, sum(1_000 + i for i in range(41)))
        ]
    finally:
        again.close()


def test_copies_read_in_another_order_end_in_the_lake_as_one_replica_would_have_judged_them(pair: tuple[Replica, Replica, Lake]) -> None:
    """Events with an identical and a conflicting copy on three partitions: a read partition 0 and
    published; b read partition 2 first, kept other copies, and took over. The lake holds each event
    once, as a took it, and a conflicting-duplicate reject for exactly the copies that conflict with
    the lake's: b's decisions past the lake's offsets are judged again against the lake's copy."""
    a, b, lake = pair
    z, w, v, u = (ev(i) for i in (1, 2, 3, 4))
    p0 = [z, w, {**v, "receipt_no": "V-OTHER"}, u, {**u, "receipt_no": "U-OTHER"}]
    p1 = [z, {**w, "receipt_no": "W-OTHER"}, v]
    p2 = [{**z, "receipt_no": "Z-OTHER"}, w, v, u]
    a.write(0, p0)
    a.writer.lead(NOW)
    assert a.writer.publish(NOW, reference=True) is not None  # the lake: z, w, v (other), u; u (other) rejected
    for partition, values in ((2, p2), (1, p1), (0, p0)):
        b.write(partition, values)
    b.writer.lead(NOW)
    done = b.writer.publish(NOW, reference=False)
    assert done is not None and done.takeover and done.events == 0
    lake_rows = in_lake(lake, "SELECT event_id, receipt_no FROM revenue ORDER BY ALL")
    assert lake_rows == [("r1", "BL0001"), ("r2", "BL0001"), ("r3", "V-OTHER"), ("r4", "BL0001")]  # as a took them
    rejects = in_lake(lake, "SELECT source_partition, source_offset, event_id, reason FROM rejects ORDER BY ALL")
    assert rejects == [
        (0, 4, "r4", "conflicting_duplicate"),  # a's own
        (1, 1, "r2", "conflicting_duplicate"),  # b's reject, which conflicts with the lake's copy too
        (1, 2, "r3", "conflicting_duplicate"),  # b counted it a duplicate of the copy it kept; the lake holds another
        (2, 0, "r1", "conflicting_duplicate"),  # the copy b kept, which the lake does not hold
        (2, 2, "r3", "conflicting_duplicate"),  # the same
    ]  # and not z on partition 1: b rejected it, but it is the lake's own copy again


def test_a_takeover_while_the_store_is_written_commits(pair: tuple[Replica, Replica, Lake]) -> None:
    """A new leader's consumer goes on writing its store while it takes over (another thread of the
    same database). DuckLake 1.5.5 failed the takeover's DELETE of the lake's revenue days, with an
    internal error that invalidated the whole database (store included) and ended the process,
    while its source read the lake's offsets from the lake itself: they are read first, now."""
    a, b, lake = pair
    for k in range(16):
        batch = [ev(1_000 + 200 * k + i) for i in range(200)]
        for replica in (a, b):
            replica.write(k % 6, batch)
        if k == 0:
            a.writer.lead(NOW)
        a.writer.publish(NOW, reference=k == 0)
    stop, written = threading.Event(), [0]

    def writer() -> None:
        while not stop.is_set():
            b.write(written[0] % 6, [ev(10_000 + 50 * written[0] + i) for i in range(50)])
            written[0] += 1
            time.sleep(0.02)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written[0] < 3:
            time.sleep(0.01)
        b.writer.lead(NOW)
        done = [b.writer.publish(NOW, reference=False) for _ in range(3)]
    finally:
        stop.set()
        thread.join()
    assert done[0] is not None and done[0].takeover
    final = b.writer.publish(NOW, reference=False)
    expected = 3_200 + 50 * written[0]
    assert final is None or final.events > 0
    assert in_lake(lake, "SELECT count(*), count(DISTINCT event_id) FROM revenue") == [(expected, expected)]
    assert in_lake(lake, "SELECT sum(amount_vnd) FROM agg_revenue_day") == in_lake(lake, "SELECT sum(amount_vnd) FROM revenue")


def test_the_last_leader_restarted_alone_goes_on_where_it_was(pair: tuple[Replica, Replica, Lake], tmp_path: Path) -> None:
    """A pair's last leader restarted as a single consumer (no --replica) on the same store: its
    publications carry the lake's current epoch, so the next one after a restart starts from its
    own newest publication, not from one it made while it led (which would publish rows twice)."""
    a, _, lake = pair
    a.write(0, P0_HEAD)
    a.writer.lead(NOW)
    assert a.writer.publish(NOW, reference=True) is not None
    a.writer.close()
    for round_ in range(2):  # alone, twice, attaching anew each time (a restart)
        alone = LakeWriter(a.store, lake)
        a.write(1, [ev(100 + 10 * round_ + i) for i in range(10)])
        done = alone.publish(NOW, reference=False)
        assert done is not None and done.events == 10
        alone.close()
    assert in_lake(lake, "SELECT count(*), count(DISTINCT event_id) FROM revenue") == [(30, 30)]
    assert in_lake(lake, "SELECT list(epoch ORDER BY batch_seq) FROM lake_publications") == [([1, 1, 1],)]
