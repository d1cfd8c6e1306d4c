"""docker-compose.yml runs the broker with the settings the local launcher uses."""

from __future__ import annotations

from pathlib import Path

import yaml

from streams.kafka import KAFKA_VERSION
from streams.kafka.broker import server_properties

ROOT = Path(__file__).resolve().parents[2]
SHARED_KEYS = [
    "process.roles",
    "node.id",
    "num.partitions",
    "offsets.topic.replication.factor",
    "offsets.topic.num.partitions",
    "transaction.state.log.replication.factor",
    "transaction.state.log.min.isr",
    "group.initial.rebalance.delay.ms",
    "auto.create.topics.enable",
    "log.retention.hours",
    "controller.listener.names",
    "inter.broker.listener.name",
    "share.coordinator.state.topic.replication.factor",
    "share.coordinator.state.topic.min.isr",
]


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_kafka_matches_the_local_launcher() -> None:
    """The apache/kafka service has the launcher's version and broker settings."""
    kafka = _compose()["services"]["kafka"]
    assert kafka["image"] == f"apache/kafka:{KAFKA_VERSION}"
    env = {k.removeprefix("KAFKA_").lower().replace("_", "."): str(v) for k, v in kafka["environment"].items()}
    local = dict(line.split("=", 1) for line in server_properties(Path("/x"), 1, 2).splitlines() if line)
    for key in SHARED_KEYS:
        assert env[key] == local[key], key


def test_compose_ports_bind_loopback_and_files_exist() -> None:
    """Every published port is on 127.0.0.1 and every mounted file is in the repository."""
    services = _compose()["services"]
    for name, service in services.items():
        for port in service.get("ports", []):
            assert port.startswith("127.0.0.1:"), (name, port)
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), (name, source)
    assert services["consumer"]["command"][services["consumer"]["command"].index("--metrics-port") + 1] == "9464"
    scrape = yaml.safe_load((ROOT / "prometheus/prometheus.yml").read_text())
    assert scrape["scrape_configs"][0]["static_configs"][0]["targets"] == ["consumer:9464"]
