"""Free loopback ports for brokers, metrics endpoints and servers started by tests and scripts.

Under pytest-xdist each worker takes its ports from a range of its own (below Linux's ephemeral
range, 32768 and up, where the kernel picks the ports of outgoing connections), so two workers
never pick the same free port at the same moment and race to bind it. Outside xdist (scripts, a
plain pytest run) the kernel picks one.
"""

from __future__ import annotations

import os
import random
import re
import socket

FIRST, LAST = 10_000, 32_000  # split between the workers
WORKER_SLOTS = 8  # pytest -n up to 8 gets disjoint ranges; more share them (and fall back on the bind check)


def _bindable(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def worker_range(worker: str | None = None) -> range | None:
    """The ports of an xdist worker (gw0, gw1, ...), or None outside xdist."""
    name = worker if worker is not None else os.environ.get("PYTEST_XDIST_WORKER")
    found = re.fullmatch(r"gw(\d+)", name or "")
    if found is None:
        return None
    width = (LAST - FIRST) // WORKER_SLOTS
    start = FIRST + (int(found.group(1)) % WORKER_SLOTS) * width
    return range(start, start + width - 1)  # room for the pair's second port


_GIVEN: set[int] = set()  # ports this process handed out: several picked before any is bound must differ


def free_port(pair: bool = False) -> int:
    """A free loopback port (and the next one too, when pair is set: the broker's controller takes port + 1)."""
    ports = worker_range()
    for _ in range(200):
        if ports is None:
            with socket.socket() as s:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            if port > 65000:
                continue
        else:
            port = random.choice(ports)
            if not _bindable(port):
                continue
        wanted = {port, port + 1} if pair else {port}
        if wanted & _GIVEN or (pair and not _bindable(port + 1)):
            continue
        _GIVEN.update(wanted)
        return port
    raise RuntimeError("no free port pair found" if pair else "no free port found")
