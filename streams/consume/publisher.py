"""When the consumer publishes to the analysts' lake: at start, every --publish-every seconds while
the store changes, and at a clean stop. Each publication is one DuckLake transaction of what is
new (streams/store/lake.py), on a thread of its own so the writer goes on writing."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime

from streams.store import EventStore
from streams.store.lake import Lake, LakeWriter, Publication

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
    ) -> None:
        self.store, self.lake, self.every_s, self.clock = store, lake, every_s, clock
        self.maintain_every_s = maintain_every_s
        self._maintained = time.monotonic()  # the first upkeep comes one interval after the start
        self._on_published, self._on_error, self._on_current = on_published, on_error, on_current
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
        self._thread = threading.Thread(target=self._publish, name="lake-publisher", daemon=True)
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

    def _publish(self) -> None:
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
        if self.maintain_every_s > 0 and time.monotonic() - self._maintained >= self.maintain_every_s:
            self._maintain()
        if done is None:
            return
        took = time.monotonic() - started
        self.last = done
        self._on_published(took, done.events)
        log.info(
            "lake version %d: batch %d, %d events and %d rejects in %.3f s", done.version, done.batch_seq, done.events, done.rejects, took
        )

    def _maintain(self) -> None:
        """Upkeep on this thread, between publications (streams/store/lake.py: maintain)."""
        self._maintained = time.monotonic()
        try:
            upkeep = self._writer.maintain(self.clock())
        except Exception as exc:
            self._on_error()
            log.warning("lake upkeep failed; trying again in %.0f s: %s", self.maintain_every_s, exc)
            return
        log.info(
            "lake upkeep: %d snapshots expired, %d files merged, %d files deleted in %.2f s",
            upkeep.expired,
            upkeep.merged,
            upkeep.removed,
            time.monotonic() - self._maintained,
        )
