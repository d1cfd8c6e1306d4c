"""When the consumer publishes to the analysts' lake: at start, every --publish-every seconds while
the store changes, and at a clean stop. Each publication is one DuckLake transaction of what is
new (streams/lake/), on a thread of its own so the writer goes on writing.

After each publication the rows it appended are checked against the store's (streams/read/verify.py:
`published`, reading only that publication's part); on the upkeep schedule, after the upkeep, the
full checks (`offsets`, `aggregates`, `lake`). Each result goes to `on_verified`."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from streams.config import Lake
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
    ) -> None:
        self.store, self.lake, self.every_s, self.clock = store, lake, every_s, clock
        self.maintain_every_s = maintain_every_s
        self._maintained = time.monotonic()  # the first upkeep comes one interval after the start
        self._on_published, self._on_error, self._on_current = on_published, on_error, on_current
        self._on_verified = on_verified
        self._verified_once = False  # the full checks have run in this process
        self._writer = LakeWriter(store, lake)
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

    def wait(self) -> None:
        if self._thread is not None:
            self._thread.join()

    def close(self) -> None:
        self.wait()
        self._writer.close()

    def _publish(self, final: bool = False) -> None:
        started = time.monotonic()
        try:
            done = self._writer.publish(self.clock(), reference=self._reference)
        except Exception as exc:  # the lake's disk or catalog: the store is safe; the next try re-reads the watermark
            self.failed = True
            self._on_error()
            log.warning("publishing to the lake %s failed; retrying in %.0f s: %s", self.lake.describe(), self.every_s, exc)
            return
        self.failed = False
        self._on_current()  # the lake now holds everything the store held when this began
        self._reference = False
        if done is not None:
            took = time.monotonic() - started
            self.last = done
            self._on_published(took, done.events)
            log.info(
                "lake version %d: batch %d, %d events and %d rejects in %.3f s",
                done.version, done.batch_seq, done.events, done.rejects, took,
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
