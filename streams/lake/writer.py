"""The consumer's side of the lake (LakeWriter): one connection with the lake attached, the
watermark carried from publication to publication, and for a replica of a pair its lead and its
takeover (takeover.py)."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta

import duckdb

from streams.config import Lake
from streams.errors import LakeFencedError
from streams.lake.location import ALIAS, attach
from streams.lake.publication import (
    Lead,
    Publication,
    check_mirrors,
    current_leader,
    ensure_lake_tables,
    mirror,
    publish,
    read_watermark,
    rebuild,
    take_lead,
)
from streams.lake.takeover import Behind, adopt_dlq, behind, take_over
from streams.lake.upkeep import FILE_GRACE, Upkeep, maintain
from streams.store import EventStore


class LakeWriter:
    """The consumer's side of the lake: a connection of the store's own with the lake attached
    (made at the first publication, so an unreachable catalog does not stop the consumer), and the
    lake's watermark, read from the lake once and then carried from publication to publication.

    For a replica of a pair (`replica`), it publishes only while it holds a lead (lead(), after the
    election chose it; step_down() when it no longer is): the first publication of a lead is a
    takeover if the lake mirrors another store, and adopt_dlq() runs before it."""

    def __init__(self, store: EventStore, lake: Lake, replica: str | None = None) -> None:
        self.store, self.lake, self.replica = store, lake, replica
        self._con: duckdb.DuckDBPyConnection | None = None
        self._watermark: tuple[int, int] | None = None
        self._known = False
        self._lead: Lead | None = None
        self._epoch = 0  # the lake's epoch, which a single consumer's publications carry
        self.waiting: list[Behind] = []  # why the last takeover did not happen yet

    def _attached(self) -> duckdb.DuckDBPyConnection:
        if self._con is None:
            con = self.store.cursor()
            self._con = con
            con.execute(f"DETACH DATABASE IF EXISTS {ALIAS}")  # left by a failed publication: attach it anew
            attach(con, self.lake, read_only=False)
            ensure_lake_tables(con)
        return self._con

    @property
    def lead_held(self) -> Lead | None:
        return self._lead

    @property
    def mirrors_this_store(self) -> bool:
        """The lake's newest publication is this store's (after a takeover, or for a single consumer once it published)."""
        return self._known

    def lead(self, now: datetime) -> Lead:
        """Take the lake's next epoch for this replica (the election chose it)."""
        if self.replica is None:
            raise RuntimeError("only a replica of a pair takes the lead")
        try:
            self._lead = take_lead(self._attached(), self.replica, now)
        except BaseException:
            self.close()
            raise
        self._known = False  # the lake may mirror the other replica's store: read it again
        return self._lead

    def step_down(self) -> None:
        self._lead, self._known = None, False

    def publish(self, now: datetime, *, reference: bool) -> Publication | None:
        if self.replica is not None and self._lead is None:
            raise RuntimeError(f"replica {self.replica} publishes only while it leads the lake")
        try:
            con = self._attached()
            if not self._known:
                found = mirror(con)
                if self._lead is not None and found.other_store:
                    return self._take_over(con, now, self._lead)
                check_mirrors(con, self.lake, found)  # another store, or an older copy: nothing is published
                self._watermark, self._known = read_watermark(con), True
                self._epoch = current_leader(con).epoch  # read once per attachment, as the watermark
            done = publish(con, now, self._watermark, reference=reference, lead=self._lead, epoch=self._epoch)
        except LakeFencedError:
            self.close()
            self.step_down()
            raise
        except BaseException:
            self.close()  # the next publication attaches again and re-reads the watermark from the lake
            raise
        if done is not None:
            self._watermark = (done.batch_seq, done.changed_seq)
        return done

    def _take_over(self, con: duckdb.DuckDBPyConnection, now: datetime, lead: Lead) -> Publication | None:
        self.waiting = behind(con)
        if self.waiting:
            return None
        adopt_dlq(con)
        done = take_over(con, now, lead)
        if done is None:
            self.waiting = behind(con)
            return None
        self._watermark, self._known = (done.batch_seq, done.changed_seq), True
        return done

    def rebuild(self, now: datetime) -> Publication:
        """Replace the lake's contents with the store's (see rebuild()); the watermark follows."""
        try:
            done = rebuild(self._attached(), now)
        except BaseException:
            self.close()
            raise
        self._watermark, self._known = (done.batch_seq, done.changed_seq), True
        return done

    def maintain(self, now: datetime, grace: timedelta = FILE_GRACE) -> Upkeep:
        return maintain(self.connection, now, grace)

    @property
    def connection(self) -> duckdb.DuckDBPyConnection:
        """The store's connection with the lake attached, for upkeep and checks between publications."""
        if self._con is None:
            raise RuntimeError("the lake is attached by a publication first")
        return self._con

    def close(self) -> None:
        self._known = False  # the lead stays: a publication that failed for another reason is tried again under it
        if self._con is not None:
            con, self._con = self._con, None
            with contextlib.suppress(duckdb.Error):
                con.execute(f"DETACH DATABASE IF EXISTS {ALIAS}")
            with contextlib.suppress(duckdb.Error):
                con.close()
