"""Play simulated events into Kafka, optionally compressing time (simulated days per real second)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable

from streams.produce.sender import EventSender, SendReport
from streams.produce.simulator import SimEvent


def encode(event: SimEvent) -> bytes:
    return json.dumps(event.value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def play(
    events: Iterable[SimEvent],
    sender: EventSender,
    *,
    days_per_second: float = 0.0,
    stop: threading.Event | None = None,
    on_progress: Callable[[int, SimEvent], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> SendReport:
    """Send every event; with days_per_second > 0, pace them so simulated time runs that fast."""
    started = time.monotonic()
    first = None
    for count, event in enumerate(events, 1):
        if stop is not None and stop.is_set():
            break
        if first is None:
            first = event.occurred_at
        if days_per_second > 0:
            due = (event.occurred_at - first).total_seconds() / 86400 / days_per_second
            ahead = due - (time.monotonic() - started)
            if ahead > 0.01:
                sleep(ahead)
        sender.send(event.topic, event.key.encode(), encode(event))
        if on_progress is not None and count % 500 == 0:
            on_progress(count, event)
    return sender.close()
