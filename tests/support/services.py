"""What the integration tests drive: the `customs-kpi` command, consumer processes, /metrics, Kafka's topics and offsets.

The fixtures that start the broker are in tests.support.fixtures."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import ClassVar

from prometheus_client.parser import text_string_to_metric_families

from streams.config import KafkaConnection
from tests.support.ports import free_port

ROOT = Path(__file__).resolve().parents[2]


def recreate_topics(bootstrap: str, partitions: int = 6) -> None:
    from kafka import KafkaAdminClient

    from streams.contract.events import DLQ_TOPIC, TOPICS
    from streams.kafka.topics import ensure_topics

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        existing = [t for t in (*TOPICS, DLQ_TOPIC) if t in set(admin.list_topics())]
        if existing:
            admin.delete_topics(existing)
        deadline = time.monotonic() + 60
        while set(existing) & set(admin.list_topics()):
            if time.monotonic() > deadline:
                raise AssertionError(f"topics {existing} were not deleted within 60 s")
            time.sleep(0.2)
    finally:
        admin.close()
    deadline = time.monotonic() + 60
    while True:
        try:
            ensure_topics(KafkaConnection(bootstrap), partitions)
            return
        except Exception:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def cli(*args: str, timeout: float = 300, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run the installed `customs-kpi` command as a user would."""
    result = subprocess.run([sys.executable, "-m", "streams", *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    if check and result.returncode != 0:
        raise AssertionError(f"customs-kpi {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def sent(output: str) -> int:
    """How many events a producer command reported sending (`sent N, failed 0`); fails on any failure."""
    found = re.search(r"sent (\d+), failed 0", output)
    if found is None:
        raise AssertionError(f"the producer did not report sending without failures:\n{output[-2000:]}")
    return int(found.group(1))


def committed_offsets(bootstrap: str, group: str) -> dict[tuple[str, int], int]:
    """The offsets a consumer group committed to Kafka, by (topic, partition)."""
    from kafka import KafkaAdminClient

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        return {(tp.topic, tp.partition): o.offset for tp, o in admin.list_group_offsets(group)[group].items()}
    finally:
        admin.close()


def metrics(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """All samples of a /metrics page, keyed by (name, sorted labels)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
        text = response.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value for f in text_string_to_metric_families(text) for s in f.samples}


def wait_until(condition, timeout: float, what: str, every: float = 0.2):  # type: ignore[no-untyped-def]
    """The condition's first truthy value, asked every `every` seconds; an AssertionError naming
    `what` once `timeout` seconds have passed without one."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} did not happen within {timeout:.0f} s")
        time.sleep(every)


def sample(samples: dict, name: str, **labels: str) -> float | None:
    return samples.get((name, tuple(sorted(labels.items()))))


class ConsumerProcess:
    """`customs-kpi consume` as a child process that tests can stop, kill and restart."""

    started: ClassVar[list[ConsumerProcess]] = []

    def __init__(self, bootstrap: str, db: Path, log: Path, *extra: str) -> None:
        self.bootstrap, self.db, self.log, self.extra = bootstrap, db, log, extra
        ConsumerProcess.started.append(self)
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ConsumerProcess:
        out = open(self.log, "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streams",
                "consume",
                "-b",
                self.bootstrap,
                "--db",
                str(self.db),
                "--metrics-port",
                str(self.port),
                "--max-poll-records",
                "2000",
                *self.extra,
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"consumer exited with {self.process.returncode}:\n{self.log.read_text()[-3000:]}")
            try:
                metrics(self.port)
                return self
            except OSError:
                time.sleep(0.2)
        raise AssertionError("consumer did not serve /metrics within 60 s")

    def samples(self) -> dict:
        try:
            return metrics(self.port)
        except OSError:
            if self.process is not None and self.process.poll() is not None:
                raise AssertionError(f"consumer exited with {self.process.returncode}; log:\n{self.log.read_text()[-5000:]}") from None
            raise

    def wait_for_records(self, expected: int, timeout: float = 120) -> dict:
        """Wait until accepted + duplicate + rejected records reach expected; returns the samples."""
        deadline = time.monotonic() + timeout
        seen = -1.0
        while time.monotonic() < deadline:
            s = self.samples()
            seen = sum(v for (name, _), v in s.items() if name == "customs_kpi_records_total")
            if seen >= expected:
                return s
            time.sleep(0.3)
        raise AssertionError(f"only {seen} of {expected} records were handled in {timeout} s; log:\n{self.log.read_text()[-3000:]}")

    def stop(self, timeout: float = 30) -> int:
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait()
