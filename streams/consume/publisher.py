"""When the consumer publishes to the analysts' lake: at start, every --publish-every seconds while
the store changes, and at a clean stop. Each publication is one DuckLake transaction of what is
new (streams/lake/), on a thread of its own so the writer goes on writing.

After each publication the rows it appended are checked against the store's (streams/read/verify.py:
`published`, reading only that publication's part); on the upkeep schedule, after the upkeep, the
full checks (`offsets`, `aggregates`, `lake`). Each result goes to `on_verified`.

A replica of a pair publishes only while its election (streams/consume/election.py) says it is
elected: at each publication it takes the lake's next epoch if it was elected anew, publishes under
it (the first time a takeover if the lake mirrors the other replica), and steps down when the
election or the lake's fence says another replica leads. `leading` gates the DLQ and the upkeep."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from streams.config import Lake
from streams.consume.election import Election
from streams.errors import LakeFencedError
from streams.lake import LakeWriter, Publication
from streams.read import verify
from streams.store import EventStore

log = logging.getLogger(__name__)


class LakePublisher:
    def __init__(
        self,
        store: EventStore,
        lake: Lake,
        every_s: float,
        maintain_every_s: float,
        clock: Callable[[], datetime],
        on_published: Callable[[float, int], None] = lambda _seconds, _events: None,
        on_error: Callable[[], None] = lambda: None,
        on_current: Callable[[], None] = lambda: None,
        on_verified: Callable[[str, int, float], None] = lambda _check, _differences, _seconds: None,
        election: Election | None = None,
        on_leader: Callable[[bool], None] = lambda _leading: None,
    ) -> None:
        self.store, self.lake, self.every_s, self.clock = store, lake, every_s, clock
        self.maintain_every_s = maintain_every_s
        self._maintained = time.monotonic()  # the first upkeep comes one interval after the start
        self._on_published, self._on_error, self._on_current = on_published, on_error, on_current
        self._on_verified = on_verified
        self._verified_once = False  # the full checks have run in this process
        self.election, self._on_leader = election, on_leader
        self._writer = LakeWriter(store, lake, None if election is None else election.replica)
        self._term: int | None = None  # the election term this replica holds the lake's lead in
        self._fenced_term: int | None = None  # a term in which another replica fenced this one
        self._reference = True  # compare the reference tables at the first publication
        self._last = float("-inf")
        self._thread: threading.Thread | None = None
        self.last: Publication | None = None
        self.failed = False

    def maybe_publish(self, final: bool = False) -> bool:
        """Start a publication if one is due and none is running; with final, publish and wait."""
        if self._thread is not None and self._thread.is_alive():
            if not final:
                return False
            self._thread.join()
        if not final and time.monotonic() - self._last < self.every_s:
            return False
        self._last = time.monotonic()
        self._thread = threading.Thread(target=self._publish, args=(final,), name="lake-publisher", daemon=True)
        self._thread.start()
        if final:
            self._thread.join()
        return True

    @property
    def leading(self) -> bool:
        """This process publishes the lake and feeds the DLQ: always for a single consumer; for a
        replica, while it holds the lead and the lake mirrors its store (after its takeover)."""
        if self.election is None:
            return True
        return self._term is not None and self._writer.lead_held is not None and self._writer.mirrors_this_store

    def _lead(self) -> bool:
        """Follow the election: take the lake's lead when elected anew, step down when not elected."""
        if self.election is None:
            return True
        vote = self.election.vote
        if vote.rebalancing:
            return False  # not now; still its lead if the partition comes back in the same rebalance
        if not vote.elected or vote.term == self._fenced_term:
            if self._term is not None:
                self._step_down("it is no longer elected")
            return False
        if self._term != vote.term:
            lead = self._writer.lead(self.clock())
            self._term = vote.term
            self._on_leader(True)
            log.info("replica %s leads the lake %s in epoch %d", lead.replica, self.lake.describe(), lead.epoch)
        return True

    def _step_down(self, why: str) -> None:
        self._writer.step_down()
        self._term = None
        self._on_leader(False)
        log.warning("replica %s stepped down from leading the lake: %s", self._writer.replica, why)

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def close(self) -> None:
        self.wait()
        self._writer.close()

    def _publish(self, final: bool = False) -> None:
        started = time.monotonic()
        try:
            if not self._lead():
                return
            done = self._writer.publish(self.clock(), reference=self._reference)
        except LakeFencedError as exc:
            self._fenced_term = self._term
            self._step_down(str(exc))
            return
        except Exception as exc:  # the lake's disk or catalog: the store is safe; the next try re-reads the watermark
            self.failed = True
            self._on_error()
            log.warning("publishing to the lake %s failed; retrying in %.0f s: %s", self.lake.describe(), self.every_s, exc)
            return
        self.failed = False
        if not self.leading:  # elected, taking over, but this store has not stored all the lake holds yet
            log.info(
                "replica %s waits to take over the lake until it has stored what the lake holds: %s",
                self._writer.replica,
                ", ".join(f"{w.topic}[{w.partition}] at {w.own_offset} of {w.lake_offset}" for w in self._writer.waiting),
            )
            return
        self._on_current()  # the lake now holds everything the store held when this began
        self._reference = False
        if done is not None:
            took = time.monotonic() - started
            self.last = done
            self._on_published(took, done.events)
            log.info(
                "lake version %d: %s %d, %d events and %d rejects in %.3f s",
                done.version, "takeover at batch" if done.takeover else "batch", done.batch_seq, done.events, done.rejects, took,
            )  # fmt: skip
            self._verify("published", lambda writer: verify.after_publication(writer, done))
        upkeep = self.maintain_every_s > 0 and time.monotonic() - self._maintained >= self.maintain_every_s
        if upkeep:
            self._maintain()
        # The full checks after each upkeep, and once early in each process (at its first publication
        # that nobody waits for: not the one at start or at a stop), so a restart does not leave the
        # gauges at 0 until the next upkeep while the lake or the store is wrong.
        if upkeep or (not final and not self._verified_once):
            self._verified_once = True
            for check in verify.SCHEDULED:
                self._verify(check, functools.partial(verify.scheduled, check=check))

    def _verify(self, check: str, run: Callable[[LakeWriter], list[verify.Difference]]) -> None:
        """One check on the publisher's connection (the store with the lake attached): its result
        to on_verified, each difference to the log. A check that cannot run counts as a lake error and a difference."""
        started = time.monotonic()
        try:
            found = run(self._writer)
        except Exception as exc:  # a check that cannot run proves nothing: it counts as a difference, so it pages too
            self._on_error()
            self._on_verified(check, 1, time.monotonic() - started)
            log.error("the %s check of the store and the lake could not run (counted as a difference): %s", check, exc)
            return
        took = time.monotonic() - started
        self._on_verified(check, len(found), took)
        for difference in found[:20]:
            log.error("verify %s: %s differs: %s", check, difference.where, difference.detail)
        if len(found) > 20:
            log.error("verify %s: %d more differences (customs-kpi verify lists them all)", check, len(found) - 20)

    def _maintain(self) -> None:
        """Upkeep on this thread, between publications (streams/lake/upkeep.py: maintain)."""
        self._maintained = time.monotonic()
        try:
            upkeep = self._writer.maintain(self.clock())
        except Exception as exc:
            self._on_error()
            log.warning("lake upkeep failed; trying again in %.0f s: %s", self.maintain_every_s, exc)
            return
        log.info(
            "lake upkeep: %d snapshots expired, %d files merged, %d files deleted, %d orphaned files deleted in %.2f s",
            upkeep.expired,
            upkeep.merged,
            upkeep.removed,
            upkeep.orphans,
            time.monotonic() - self._maintained,
        )
