"""The transport fix: bytes that arrive together with the broker's close are handed over first.

Real sockets, kafka-python's own read method: the peer writes a response and closes at once, as a
broker does after refusing a login.
"""

from __future__ import annotations

import socket
from types import SimpleNamespace

from kafka.errors import KafkaConnectionError
from kafka.net.transport import KafkaSSLTransport, KafkaTCPTransport

import streams.kafka  # noqa: F401 (installs the fix)
from streams.kafka import eof


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
    assert eof.install() == []  # already wrapped on import of streams.kafka; not wrapped twice
    for cls in (KafkaTCPTransport, KafkaSSLTransport):
        assert getattr(cls.__dict__["_sock_recv"], "_customs_kpi_keeps_bytes_before_eof", False)
