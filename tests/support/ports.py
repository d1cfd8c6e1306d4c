"""Free loopback ports for brokers, metrics endpoints and servers started by tests and scripts."""

from __future__ import annotations

import socket


def free_port(pair: bool = False) -> int:
    """A free loopback port (and the next one too, when pair is set: the broker's controller takes port + 1)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port > 65000:
            continue
        if not pair:
            return port
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port + 1))
                return port
            except OSError:
                continue
    raise RuntimeError("no free port pair found")
