"""The /metrics HTTP endpoint, on loopback unless configured otherwise."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, start_http_server


def serve_metrics(registry: CollectorRegistry, port: int, host: str = "127.0.0.1") -> object:
    """Start serving /metrics in a background thread; returns the server (call .shutdown() to stop)."""
    server, _thread = start_http_server(port, addr=host, registry=registry)
    return server
