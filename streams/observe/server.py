"""The /metrics HTTP endpoint, on loopback unless configured otherwise."""

from __future__ import annotations

from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry as CollectorRegistry  # re-exported: the consumer wires its registry
from prometheus_client import start_http_server


def serve_metrics(registry: CollectorRegistry, port: int, host: str = "127.0.0.1") -> WSGIServer:
    """Start serving /metrics in a background thread; returns the server (call .shutdown() to stop)."""
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server
