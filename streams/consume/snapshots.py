"""When the consumer publishes read-only snapshots: every N seconds if data changed, on request, at exit."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from prometheus_client import Gauge, Histogram

from streams.store import EventStore
from streams.store.snapshot import publish_snapshot

log = logging.getLogger(__name__)
# A copy takes what the database weighs (108 s at 40.9 million events): at most one tenth of the time
# goes to copying, so the next one waits nine times as long as the last took, or --snapshot-every.
IDLE_PER_COPY = 9.0


class Snapshotter:
    """Publishes snapshots on a thread of its own: the copy costs what the database weighs, so it
    must not hold up the writer. Each copy runs in one DuckDB read transaction, so it holds whole
    batches only while batches go on committing."""

    def __init__(
        self,
        store: EventStore,
        target: Path,
        every_s: float,
        clock: Callable[[], datetime],
        taken: Gauge,
        duration: Histogram,
        on_error: Callable[[], None] = lambda: None,
    ) -> None:
        self.store, self.target, self.every_s, self.clock = store, target, every_s, clock
        self._taken, self._duration, self._on_error = taken, duration, on_error
        self._dirty = True  # publish once at start, so readers have something
        self._requested = False
        self._last = 0.0
        self._thread: threading.Thread | None = None
        self._succeeded = False
        self._took = 0.0  # seconds the last copy took

    def changed(self) -> None:
        self._dirty = True

    def request(self) -> None:
        """Ask for a snapshot at the next opportunity (safe to call from a signal handler)."""
        self._requested = True

    def maybe_publish(self, final: bool = False) -> bool:
        """Start a snapshot if one is due and none is running; with final, wait for the last one."""
        if self._thread is not None and self._thread.is_alive():
            if not final:
                return False
            self._thread.join()
        due = self._dirty and (final or time.monotonic() - self._last >= self.interval_s)
        if not (due or self._requested):
            return False
        self._requested = False
        self._dirty = False
        self._thread = threading.Thread(target=self._publish, name="snapshot", daemon=True)
        self._thread.start()
        if final:
            self._thread.join()
        return True

    @property
    def interval_s(self) -> float:
        """--snapshot-every, or nine times the last copy if that is longer."""
        return max(self.every_s, IDLE_PER_COPY * self._took)

    def wait(self) -> bool:
        """Wait for the snapshot in progress; whether the last one was published."""
        if self._thread is not None:
            self._thread.join()
        return self._succeeded

    def _publish(self) -> None:
        started = time.monotonic()
        try:
            info = publish_snapshot(self.store, self.target, self.clock())
        except Exception as exc:  # a full disk, say: the events are safe; analysts keep the previous snapshot
            self._dirty = True
            self._last = time.monotonic()  # try again after a full interval
            self._succeeded = False
            self._on_error()
            log.warning("publishing the snapshot %s failed; the previous one stays; retrying in %.0f s: %s", self.target, self.every_s, exc)
            return
        self._last = time.monotonic()
        self._succeeded = True
        self._took = self._last - started
        self._duration.observe(self._took)
        self._taken.set(info.taken_at.timestamp())
        log.info("snapshot %s: %d events in %.2f s; the next in %.0f s at the earliest", info.path, info.rows, self._took, self.interval_s)
