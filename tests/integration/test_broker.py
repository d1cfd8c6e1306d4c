"""The local broker launcher: start, reuse of formatted storage, stop."""

from __future__ import annotations

from pathlib import Path

from kafka import KafkaAdminClient

from streams.kafka.broker import format_storage, server_properties
from tests.support.services import cli, free_port


def test_storage_formats_with_an_id_that_starts_with_a_dash(tmp_path: Path) -> None:
    """A cluster id beginning with '-' (1 in 64 random ids) formats the storage."""
    props = tmp_path / "server.properties"
    props.write_text(server_properties(tmp_path, 1, 2))
    format_storage(tmp_path, props, 256, cluster_id="-bcdefghijklmnopqrstuv")
    assert "cluster.id=-bcdefghijklmnopqrstuv" in (tmp_path / "logs" / "meta.properties").read_text()


def test_up_down_up_keeps_topics(tmp_path: Path) -> None:
    """`kafka up` formats once; after `down` and `up` again the topics are still there; `down` stops it."""
    data = tmp_path / "k"
    port = free_port(pair=True)
    up = cli("kafka", "up", "--port", str(port), "--data-dir", str(data))
    assert f"bootstrap 127.0.0.1:{port}" in up.stdout
    # One waiting line while the broker starts, nothing else (stamina's bare retry lines are gone).
    assert up.stderr.splitlines() == [f"starting the Kafka broker on 127.0.0.1:{port} (the first run downloads its jars with Maven)..."]
    cli("topics", "-b", f"127.0.0.1:{port}", "--partitions", "2")
    assert "Kafka broker stopped" in cli("kafka", "down", "--data-dir", str(data)).stdout
    assert cli("kafka", "status", "--data-dir", str(data), check=False).returncode == 1
    cli("kafka", "up", "--port", str(port), "--data-dir", str(data))
    try:
        admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}")
        topics = {t["name"]: len(t["partitions"]) for t in admin.describe_topics(["customs.revenue", "customs.dlq"])}
        admin.close()
        assert topics == {"customs.revenue": 2, "customs.dlq": 2}
        assert "all topics exist" in cli("topics", "-b", f"127.0.0.1:{port}").stdout
    finally:
        cli("kafka", "down", "--data-dir", str(data))
