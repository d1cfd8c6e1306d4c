"""Deliver the bytes a broker sent just before it closed the connection.

kafka-python 3.0's transports read a socket until it would block; when the read ends on end of
file they report the disconnect and drop whatever bytes came before it in the same read. A broker
answers a refused SASL login with an error response and then closes the connection, often in the
same instant, so the client usually lost the answer and saw only "socket disconnected": a wrong
password looked like an unreachable broker (this made our wrong-password test fail about one run in
ten). With the wrapper below the bytes are handed over first and the end of file is reported by the
next read (a closed socket stays readable and reads empty again), so the caller sees the broker's
actual error.

The wrapper changes nothing when a read ends without end of file, or ends on it with no bytes. Every
client builder of `streams.kafka.clients` installs it (once; later calls find it there), only on
transports that have the method it wraps. It was made for kafka-python 3.0.12, the pinned version;
tests/unit/test_kafka_eof.py fails when a release no longer loses the bytes, so the fix can go.
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
    wrapped.__wrapped__ = recv  # type: ignore[attr-defined]  # the original, for the test that retires this fix
    return wrapped


def install() -> list[str]:
    """Wrap the `_sock_recv` of kafka-python's TCP and SSL transports; returns the classes wrapped."""
    try:
        from kafka.net import transport  # kafka-python 3.x only
    except ImportError:
        return []
    wrapped: list[str] = []
    for name in ("KafkaTCPTransport", "KafkaSSLTransport"):
        cls = getattr(transport, name, None)
        if cls is None:
            continue
        recv = cls.__dict__.get("_sock_recv")
        if recv is None or getattr(recv, _MARK, False):
            continue
        cls._sock_recv = keep_bytes_before_eof(recv)
        wrapped.append(name)
    return wrapped
