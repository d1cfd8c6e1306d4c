"""Two replicas' stores and one lake, for tests of a replica pair's lake (tests/unit/test_replicas.py,
and on PostgreSQL tests/integration/test_lake_postgres.py)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from streams.config import Lake
from streams.contract import EVENT_TYPES
from streams.decode import decode_batch
from streams.lake import ALIAS, LakeWriter, attach
from streams.lake import publication as publication_module
from streams.store import EventStore, open_store
from tests.support.factories import raw_batch, revenue

NOW = datetime(2021, 7, 1, 3, tzinfo=UTC)
REV = EVENT_TYPES["revenue"]


class Replica:
    """A store written the way a replica's consumer writes it: batches of records at Kafka positions."""

    def __init__(self, path: Path, lake: Lake, name: str) -> None:
        self.store: EventStore = open_store(path)
        self.writer = LakeWriter(self.store, lake, replica=name)
        self.next: dict[tuple[str, int], int] = {}
        self.closed = False

    def write(self, partition: int, values: Sequence[dict | bytes]) -> None:  # type: ignore[type-arg]
        first = self.next.get((REV.topic, partition), 0)
        batch = decode_batch(REV, raw_batch(REV.topic, list(values), partition, first), NOW)
        self.next[(REV.topic, partition)] = first + len(values)
        self.store.write_batch([(REV, batch)], {(REV.topic, partition): first + len(values)}, NOW)

    def close(self) -> None:
        if not self.closed:
            self.writer.close()
            self.store.close()
            self.closed = True


def ev(i: int, **over: object) -> dict:  # type: ignore[type-arg]
    return revenue(event_id=f"r{i}", amount_vnd=1_000 + i, **over)


def in_lake(lake: Lake, sql: str) -> list[tuple]:  # type: ignore[type-arg]
    con = duckdb.connect()
    try:
        attach(con, lake, read_only=True)
        return con.execute(sql.replace("FROM ", f"FROM {ALIAS}.")).fetchall()
    finally:
        con.close()


# The same records on two partitions; replica a reads partition 0 first, b partition 1. Partition 0:
# r0..r9, then x (offset 10) and y (11). Partition 1: r10..r19, then an identical copy of x (10), a
# copy of y with another receipt (11: a conflicting duplicate), then a bad message (12).
P0_HEAD = [ev(i) for i in range(10)]
P1_HEAD = [ev(i) for i in range(10, 20)]
P0_TAIL = [ev(100), ev(101)]
P1_TAIL: list[dict | bytes] = [  # type: ignore[type-arg]
    ev(100),
    ev(101, receipt_no="OTHER"),
    b"{not json",
]


def open_publication_with_a_takeover_meanwhile(a: Replica, b: Replica, monkeypatch: pytest.MonkeyPatch) -> list[BaseException]:
    """a publishes (after a first publication) while b takes the lead from another connection, between
    a's rows and a's commit; returns what b's take raised (nothing, or its failure)."""
    a.write(0, P0_HEAD)
    b.write(0, P0_HEAD)
    a.writer.lead(NOW)
    assert a.writer.publish(NOW, reference=True) is not None
    a.write(0, P0_TAIL)
    real = publication_module._append
    raised: list[BaseException] = []

    def taken_meanwhile(*args, **kwargs):  # type: ignore[no-untyped-def]
        appended = real(*args, **kwargs)
        try:
            b.writer.lead(NOW)  # another process's commit, while a's transaction is open
        except duckdb.Error as exc:
            raised.append(exc)
        return appended

    monkeypatch.setattr(publication_module, "_append", taken_meanwhile)
    return raised
