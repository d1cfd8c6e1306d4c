"""The /metrics HTTP endpoint, on loopback unless configured otherwise."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry as CollectorRegistry  # re-exported: the consumer wires its registry
from prometheus_client import start_http_server
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector


class Labelled(Collector):
    """A registry's families with labels added to every sample: a replica pair's `replica`, so the
    rules can merge the two replicas' series (`max without(instance, replica)`) whatever the scrape
    configuration calls them."""

    def __init__(self, registry: CollectorRegistry, labels: Mapping[str, str]) -> None:
        self._registry, self._labels = registry, dict(labels)

    def collect(self) -> Iterator[Metric]:
        for family in self._registry.collect():
            family.samples = [s._replace(labels={**s.labels, **self._labels}) for s in family.samples]
            yield family


def serve_metrics(registry: CollectorRegistry, port: int, host: str = "127.0.0.1", labels: Mapping[str, str] | None = None) -> WSGIServer:
    """Start serving /metrics in a background thread; returns the server (call .shutdown() to stop).
    `labels` go on every sample (a replica's name)."""
    served: CollectorRegistry = registry
    if labels:
        served = CollectorRegistry(auto_describe=False)
        served.register(Labelled(registry, labels))
    server, _thread = start_http_server(port, addr=host, registry=served)
    return server
