"""The transport fix: bytes that arrive together with the broker's close are handed over first.

Real sockets, kafka-python's own read method: the peer writes a response and closes at once, as a
broker does after refusing a login.
"""

from __future__ import annotations

import inspect
import socket
from types import SimpleNamespace

import kafka
from kafka.errors import KafkaConnectionError
from kafka.net.transport import KafkaSSLTransport, KafkaTCPTransport

from streams.kafka import eof

eof.install()  # as every client builder of streams.kafka.clients does


def _closed_after(payload: bytes) -> SimpleNamespace:
    ours, peer = socket.socketpair()
    ours.setblocking(False)
    peer.sendall(payload)
    peer.close()
    return SimpleNamespace(_sock=ours)


def test_the_bytes_before_a_close_are_delivered_then_the_close() -> None:
    transport = _closed_after(b"\x00\x00\x00\x0aresponse!!")
    data, error = KafkaTCPTransport._sock_recv(transport)
    assert (data, error) == (b"\x00\x00\x00\x0aresponse!!", None)
    data, error = KafkaTCPTransport._sock_recv(transport)  # the next read reports the close
    assert data == b""
    assert isinstance(error, KafkaConnectionError)
    assert "socket disconnected" in str(error)
    transport._sock.close()


def test_a_close_without_bytes_and_bytes_without_a_close_are_unchanged() -> None:
    transport = _closed_after(b"")
    data, error = KafkaTCPTransport._sock_recv(transport)
    assert data == b""
    assert isinstance(error, KafkaConnectionError)
    transport._sock.close()

    ours, peer = socket.socketpair()
    ours.setblocking(False)
    peer.sendall(b"x" * 10_000)
    assert KafkaTCPTransport._sock_recv(SimpleNamespace(_sock=ours)) == (b"x" * 10_000, None)
    ours.close()
    peer.close()


def test_other_errors_pass_through_with_their_bytes() -> None:
    boom = OSError("reset")
    wrapped = eof.keep_bytes_before_eof(lambda _t: (b"partial", boom))
    assert wrapped(None) == (b"partial", boom)


def test_installed_once_on_both_transports() -> None:
    """Installing again wraps nothing twice."""
    assert eof.install() == []
    assert getattr(KafkaTCPTransport._sock_recv, "__wrapped__", None) is not None
    assert getattr(KafkaSSLTransport._sock_recv, "__wrapped__", None) is not None


def test_the_fix_is_still_needed() -> None:
    """Fails once kafka-python no longer loses the bytes before a close: then remove streams/kafka/eof.py.

    The fix was made for kafka-python 3.0.12 (pinned in pyproject.toml). Its own read returns the
    bytes together with the disconnect, and its reader drops the bytes when an error comes with them.
    """
    assert kafka.__version__ == "3.0.12", "a new kafka-python: check whether streams/kafka/eof.py is still needed, then move the pin"
    original = KafkaTCPTransport._sock_recv.__wrapped__  # type: ignore[attr-defined]
    transport = _closed_after(b"\x00\x00\x00\x0aresponse!!")
    data, error = original(transport)
    transport._sock.close()
    assert data == b"\x00\x00\x00\x0aresponse!!"
    assert isinstance(error, KafkaConnectionError)  # the bytes and the close in one answer
    reader = inspect.getsource(KafkaTCPTransport._read_from_sock)
    assert reader.index("if err:") < reader.index("data_received(recvd_data)")  # ... and an error wins over the bytes
    for cls in (KafkaTCPTransport, KafkaSSLTransport):
        assert getattr(cls.__dict__["_sock_recv"], "_customs_kpi_keeps_bytes_before_eof", False)
