"""Deliver the bytes a broker sent just before it closed the connection.

kafka-python 3.0's transports read a socket until it would block; when the read ends on end of
file they report the disconnect and drop whatever bytes came before it in the same read. A broker
answers a refused SASL login with an error response and then closes the connection, often in the
same instant, so the client usually lost the answer and saw only "socket disconnected": a wrong
password looked like an unreachable broker (this made our wrong-password test fail about one run in
ten). With the wrapper below the bytes are handed over first and the end of file is reported by the
next read (a closed socket stays readable and reads empty again), so the caller sees the broker's
actual error.

The wrapper changes nothing when a read ends without end of file, or ends on it with no bytes. It is
installed once, on import of `streams.kafka`, and only on transports that have the method it wraps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MARK = "_customs_kpi_keeps_bytes_before_eof"

Recv = Callable[[Any], tuple[bytes, Exception | None]]


def keep_bytes_before_eof(recv: Recv) -> Recv:
    """`recv` returns (bytes, error); on a disconnect that came with bytes, return the bytes alone."""

    def wrapped(transport: Any) -> tuple[bytes, Exception | None]:
        data, error = recv(transport)
        if error is not None and data and "socket disconnected" in str(error):
            return data, None
        return data, error

    setattr(wrapped, _MARK, True)
    return wrapped


def install() -> list[str]:
    """Wrap the `_sock_recv` of kafka-python's TCP and SSL transports; returns the classes wrapped."""
    try:
        from kafka.net import transport  # kafka-python 3.x only
    except ImportError:
        return []
    wrapped = []
    for name in ("KafkaTCPTransport", "KafkaSSLTransport"):
        cls = getattr(transport, name, None)
        recv = None if cls is None else cls.__dict__.get("_sock_recv")
        if recv is None or getattr(recv, _MARK, False):
            continue
        cls._sock_recv = keep_bytes_before_eof(recv)
        wrapped.append(name)
    return wrapped
