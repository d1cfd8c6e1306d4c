"""docker-compose.yml runs the broker with the settings the local launcher uses."""

from __future__ import annotations

import re
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
    "group.min.session.timeout.ms",
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
    (job,) = scrape["scrape_configs"]
    assert job["job_name"] == "customs-kpi"  # the job the rules read `up` of
    (found,) = job["dns_sd_configs"]
    assert (found["names"], found["port"]) == (["consumer", "replica-a", "replica-b"], 9464)
    assert all(name in services for name in found["names"])


def _flag(command: list[str], name: str) -> str:
    return next(arg.split("=", 1)[1] for arg in command if arg.startswith(f"--{name}="))


def _days(duration: str) -> float:
    from tests.support.timescale import parse_duration

    return parse_duration(duration) / 86400


def test_compose_runs_the_whole_stack_with_healthchecks_and_named_volumes() -> None:
    compose = _compose()
    services = compose["services"]
    single = {"kafka", "topics", "consumer", "simulator", "prometheus", "alertmanager", "grafana"}
    assert set(services) == single | {"postgres", "replica-a", "replica-b"}
    assert {name for name, s in services.items() if s.get("profiles")} == {"postgres", "replica-a", "replica-b"}
    for name in ("kafka", "consumer", "prometheus", "alertmanager", "grafana", "postgres", "replica-a", "replica-b"):
        assert services[name]["healthcheck"]["test"], name
    used = {v.split(":")[0] for s in services.values() for v in s.get("volumes", []) if not v.startswith("./")}
    assert used == set(compose["volumes"]) == {
        "kafka-data", "duckdb-data", "prometheus-data", "alertmanager-data", "grafana-data",
        "postgres-data", "replica-a-data", "replica-b-data", "lake-data",
    }  # fmt: skip
    # The single consumer may be scaled to 0 for the pair: nothing waits on it.
    assert all("consumer" not in s.get("depends_on", {}) for s in services.values())
    for name, service in services.items():  # waits only on services that exist, for states they can reach
        for dependency, condition in service.get("depends_on", {}).items():
            assert dependency in services, (name, dependency)
            wanted = condition["condition"]
            assert wanted == "service_completed_successfully" or "healthcheck" in services[dependency], (name, dependency)


def test_compose_prometheus_loads_the_rules_and_sends_to_alertmanager() -> None:
    services = _compose()["services"]
    prometheus, alertmanager = services["prometheus"], services["alertmanager"]
    config = yaml.safe_load((ROOT / "prometheus/prometheus.yml").read_text())
    mounts = dict(v.split(":")[:2] for v in prometheus["volumes"])
    assert mounts["./prometheus/prometheus.yml"] == _flag(prometheus["command"], "config.file")
    # rule_files point into the mounted rules folder and match exactly the shipped rule files
    rules_dir = mounts["./prometheus/rules"]
    assert config["rule_files"] == [f"{rules_dir}/*.rules.yml"]
    shipped = sorted(p.name for p in (ROOT / "prometheus/rules").glob("*.rules.yml"))
    assert shipped == ["pipeline.rules.yml", "revenue.rules.yml", "summary.rules.yml"]
    # the longest look-back of any rule (7-day window behind an 18-hour offset) fits in retention
    assert _days(_flag(prometheus["command"], "storage.tsdb.retention.time")) >= 7 + 18 / 24
    target = config["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"]
    assert target == [f"alertmanager:{_flag(alertmanager['command'], 'web.listen-address').lstrip(':')}"]
    am_mounts = dict(v.split(":")[:2] for v in alertmanager["volumes"])
    assert am_mounts["./prometheus/alertmanager/alertmanager.yml"] == _flag(alertmanager["command"], "config.file")
    assert _flag(prometheus["command"], "web.listen-address") == ":9090"


def test_compose_grafana_is_provisioned_read_only_at_the_sdk_version() -> None:
    grafana = _compose()["services"]["grafana"]
    pyproject = (ROOT / "pyproject.toml").read_text()
    sdk_grafana = re.search(r'grafana-foundation-sdk==\d+!([\d.]+)"', pyproject).group(1)  # type: ignore[union-attr]
    assert grafana["image"] == f"grafana/grafana:{sdk_grafana}"
    env = grafana["environment"]
    assert env["GF_AUTH_ANONYMOUS_ENABLED"] == "true" and env["GF_AUTH_ANONYMOUS_ORG_ROLE"] == "Viewer"
    assert env["GF_SECURITY_ADMIN_PASSWORD"].startswith("${GRAFANA_ADMIN_PASSWORD:?")  # from the environment only
    mounts = dict(v.split(":")[:2] for v in grafana["volumes"])
    provider = yaml.safe_load((ROOT / "dashboards/provisioning/dashboards/customs-kpi.yml").read_text())["providers"][0]
    assert mounts["./dashboards"] == provider["options"]["path"]
    assert mounts["./dashboards/provisioning"] == "/etc/grafana/provisioning"
    assert env["GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"] == f"{provider['options']['path']}/national-overview.json"
    datasource = yaml.safe_load((ROOT / "dashboards/provisioning/datasources/prometheus.yml").read_text())["datasources"][0]
    assert datasource["url"] == "http://prometheus:9090"
    scrape = yaml.safe_load((ROOT / "prometheus/prometheus.yml").read_text())["global"]["scrape_interval"]
    assert datasource["jsonData"]["timeInterval"] == scrape


def test_compose_runs_the_prometheus_and_alertmanager_versions_the_tests_run() -> None:
    """The rules and routing are tested on the Debian packages; the containers use the same releases."""
    import subprocess

    from tests.support.monitoring import tool

    services = _compose()["services"]
    for service, binary in (("prometheus", "prometheus"), ("alertmanager", "prometheus-alertmanager")):
        out = subprocess.run([tool(binary), "--version"], capture_output=True, text=True).stdout
        version = re.search(r"version (\d+\.\d+\.\d+)", out).group(1)  # type: ignore[union-attr]
        assert services[service]["image"] == f"prom/{service}:v{version}"


def test_compose_pair_profile_runs_two_replicas_of_one_lake() -> None:
    """Two consumers with distinct replica names and stores of their own, one PostgreSQL catalog and
    one data volume for the lake, the password only from the environment."""
    services = _compose()["services"]
    a, b = services["replica-a"], services["replica-b"]

    def option(command: list[str], name: str) -> str:
        return command[command.index(name) + 1]

    assert [option(s["command"], "--replica") for s in (a, b)] == ["a", "b"]
    assert option(a["command"], "--lake") == option(b["command"], "--lake") == "postgres:dbname=lake host=postgres user=kpi"
    assert option(a["command"], "--lake-data") == option(b["command"], "--lake-data") == "/lake/"
    stores = [next(v.split(":")[0] for v in s["volumes"] if v.endswith(":/data")) for s in (a, b)]
    assert stores == ["replica-a-data", "replica-b-data"]
    assert all("lake-data:/lake" in s["volumes"] for s in (a, b))
    assert all(
        s["environment"]["PGPASSWORD"] == "${PGPASSWORD:-}"
        for s in (
            a,
            b,
        )
    )
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "${PGPASSWORD:-}"
    assert services["postgres"]["image"] == "postgres:15"
    assert all(s["depends_on"]["postgres"]["condition"] == "service_healthy" for s in (a, b))
