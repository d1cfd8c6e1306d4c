"""The suite's fixtures, loaded for every test by tests/conftest.py (pytest_plugins): the real Kafka
broker, started once per worker through the project's launcher, empty topics for each test that
asks for `bootstrap`, and no consumer process outliving its test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from streams.kafka import broker
from tests.support.ports import free_port
from tests.support.services import ConsumerProcess, recreate_topics


@pytest.fixture(scope="session")
def kafka_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[broker.BrokerState]:
    """A real single-node KRaft broker on 127.0.0.1 for the whole test session."""
    for attempt in range(3):  # a port picked as free can be taken before the broker binds it
        data_dir = tmp_path_factory.mktemp("kafka")
        try:
            state = broker.start(data_dir, free_port(pair=True), heap_mb=512, timeout=180)
            break
        except Exception:
            broker.stop(data_dir)
            if attempt == 2:
                raise
    try:
        yield state
    finally:
        broker.stop(data_dir)


@pytest.fixture
def bootstrap(kafka_broker: broker.BrokerState) -> str:
    """The broker's address, with the contract's topics deleted and created empty for this test."""
    recreate_topics(kafka_broker.bootstrap)
    return kafka_broker.bootstrap


@pytest.fixture(autouse=True)
def _no_stray_consumers() -> Iterator[None]:
    """Kill every consumer a test started, whether the test passed or not."""
    yield
    for consumer in ConsumerProcess.started:
        if consumer.process is not None and consumer.process.poll() is None:
            consumer.kill()
    ConsumerProcess.started.clear()
