"""Monitoring tools for tests: promtool/amtool lookup, real Prometheus and Alertmanager servers on
loopback, and a webhook receiver that records what Alertmanager delivers."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "prometheus"


def tool(name: str) -> str:
    """The path of a monitoring binary; `make test` installs them (scripts/install-tools.sh)."""
    path = shutil.which(name)
    if path is None:
        raise AssertionError(f"{name} is not installed: run `bash scripts/install-tools.sh` (make test does)")
    return path


def http_json(url: str, data: Any = None, timeout: float = 10) -> Any:
    body = None if data is None else json.dumps(data).encode()
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"} if body else {})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read() or b"null")


class Server:
    """A child process serving HTTP on 127.0.0.1:port, stopped by stop()."""

    def __init__(self, args: list[str], port: int, ready_path: str, log: Path) -> None:
        self.port, self.log = port, log
        self.process = subprocess.Popen(args, stdout=open(log, "wb"), stderr=subprocess.STDOUT)  # noqa: SIM115
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise AssertionError(f"{args[0]} exited with {self.process.returncode}:\n{log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(self.url(ready_path), timeout=2).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise AssertionError(f"{args[0]} was not ready within 60 s:\n{log.read_text()[-3000:]}") from None
                time.sleep(0.2)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Alertmanager(Server):
    def __init__(self, config: Path, workdir: Path, port: int) -> None:
        super().__init__(
            [
                tool("prometheus-alertmanager"),
                f"--config.file={config}",
                f"--storage.path={workdir / 'am-data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                "--cluster.listen-address=",  # a single instance: no gossip port
            ],
            port,
            "/-/ready",
            workdir / "alertmanager.log",
        )

    def post(self, alerts: list[dict[str, Any]]) -> None:
        http_json(self.url("/api/v2/alerts"), alerts)

    def alerts(self) -> list[dict[str, Any]]:
        return http_json(self.url("/api/v2/alerts"))


def alertmanager_config(target: Path, webhook_port: int, **timings: str) -> Path:
    """The shipped Alertmanager configuration with webhooks pointed at the test and optional timings."""
    doc = yaml.safe_load((PROMETHEUS_DIR / "alertmanager" / "alertmanager.yml").read_text())
    for receiver in doc["receivers"]:
        for hook in receiver.get("webhook_configs", []):
            path = urllib.parse.urlparse(hook["url"]).path
            hook["url"] = f"http://127.0.0.1:{webhook_port}{path}"
    doc["route"].update(timings)
    target.write_text(yaml.safe_dump(doc, sort_keys=False))
    return target


class Prometheus(Server):
    def __init__(self, config: Path, workdir: Path, port: int) -> None:
        super().__init__(
            [
                tool("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'prometheus-data'}",
                f"--web.listen-address=127.0.0.1:{port}",
                # Resend firing alerts every 2 s instead of every minute: an alert that fires before
                # Prometheus has found its Alertmanager (a few seconds after start) is not held back.
                "--rules.alert.resend-delay=2s",
            ],
            port,
            "/-/ready",
            workdir / "prometheus.log",
        )

    def query(self, promql: str) -> list[dict[str, Any]]:
        """An instant query's result vector (raises on a query error)."""
        answer = http_json(self.url("/api/v1/query?" + urllib.parse.urlencode({"query": promql})))
        assert answer["status"] == "success", answer
        return answer["data"]["result"]

    def alerts(self) -> list[dict[str, Any]]:
        """Active alerts (pending and firing) as Prometheus sees them."""
        return http_json(self.url("/api/v1/alerts"))["data"]["alerts"]

    def wait_for(self, promql: str, timeout_s: float = 30) -> list[dict[str, Any]]:
        """Poll an instant query until it returns a sample."""
        deadline = time.monotonic() + timeout_s
        while not (result := self.query(promql)):
            if time.monotonic() > deadline:
                raise AssertionError(f"{promql} returned nothing within {timeout_s:g} s")
            time.sleep(0.2)
        return result

    def reload(self, config: Path, rule_groups: int, timeout_s: float = 30) -> None:
        """Load a changed configuration (SIGHUP) and wait until its rule groups are in place."""
        import signal

        self.process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + timeout_s
        while len(http_json(self.url("/api/v1/rules"))["data"]["groups"]) != rule_groups:
            if time.monotonic() > deadline:
                raise AssertionError(f"Prometheus did not load {rule_groups} rule groups from {config}:\n{self.log.read_text()[-3000:]}")
            time.sleep(0.2)


def prometheus_config(target: Path, metrics_port: int, alertmanager_port: int, rule_files: list[Path], interval: str = "1s") -> Path:
    """Scrape one customs-kpi exporter, load the given rule files and send alerts to one Alertmanager."""
    doc = {
        "global": {"scrape_interval": interval, "scrape_timeout": interval, "evaluation_interval": interval},
        "rule_files": [str(p) for p in rule_files],
        "alerting": {"alertmanagers": [{"static_configs": [{"targets": [f"127.0.0.1:{alertmanager_port}"]}]}]},
        "scrape_configs": [{"job_name": "customs-kpi", "static_configs": [{"targets": [f"127.0.0.1:{metrics_port}"]}]}],
    }
    target.write_text(yaml.safe_dump(doc, sort_keys=False))
    return target


class WebhookReceiver:
    """An HTTP server in the test process recording every Alertmanager notification as (path, alert)."""

    def __init__(self) -> None:
        self.deliveries: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
                with receiver._lock:
                    receiver.deliveries.extend((self.path, alert) for alert in body["alerts"])
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def received(self) -> list[tuple[str, dict[str, Any]]]:
        with self._lock:
            return list(self.deliveries)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


DASHBOARDS_DIR = ROOT / "dashboards"
# What Grafana puts in place of its variables when the dashboards are evaluated in tests.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__range": "1h", "$department": "20"}


def dashboard_queries() -> list[tuple[str, str, str]]:
    """(dashboard uid, panel title, PromQL with Grafana's variables substituted) for every panel target."""
    out = []
    for path in sorted(DASHBOARDS_DIR.glob("*.json")):
        doc = json.loads(path.read_text(encoding="utf-8"))
        for panel in doc["panels"]:
            for target in panel.get("targets", []):
                expr = target["expr"]
                for name, value in GRAFANA_VARIABLES.items():
                    expr = expr.replace(name, value)
                out.append((doc["uid"], panel["title"], expr))
    return out
