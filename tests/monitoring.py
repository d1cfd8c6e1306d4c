"""Real Prometheus and Alertmanager servers on loopback for tests, and a webhook receiver."""

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

ROOT = Path(__file__).resolve().parents[1]
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


class Prometheus(Server):
    def __init__(self, config: Path, workdir: Path, port: int) -> None:
        super().__init__(
            [
                tool("prometheus"),
                f"--config.file={config}",
                f"--storage.tsdb.path={workdir / 'prom-data'}",
                f"--web.listen-address=127.0.0.1:{port}",
            ],
            port,
            "/-/ready",
            workdir / "prometheus.log",
        )

    def query(self, promql: str) -> list[dict[str, Any]]:
        answer = http_json(self.url("/api/v1/query?" + urllib.parse.urlencode({"query": promql})))
        assert answer["status"] == "success", answer
        return answer["data"]["result"]

    def alerts(self) -> list[dict[str, Any]]:
        return http_json(self.url("/api/v1/alerts"))["data"]["alerts"]


class WebhookReceiver:
    """Alertmanager's webhook target: records each notification with the receiver path it came to."""

    def __init__(self) -> None:
        self.notifications: list[tuple[str, dict[str, Any]]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with receiver._lock:
                    receiver.notifications.append((self.path.strip("/"), body))
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def alerts(self, status: str = "firing") -> list[tuple[str, dict[str, str]]]:
        """(receiver, labels) of every alert notified with that status."""
        with self._lock:
            return [(path, a["labels"]) for path, body in self.notifications for a in body["alerts"] if a["status"] == status]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


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
