"""The local demo's processes: a broker, a consumer and a simulated year (the CLI shows them live)."""

from __future__ import annotations

import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from streams.kafka import broker
from streams.observe.console import Samples, scrape
from streams.produce.simulator import SimulationPlan


def _spawn(args: list[str], log: Path) -> subprocess.Popen[bytes]:
    out = open(log, "ab")  # noqa: SIM115 - handed to the child
    return subprocess.Popen(
        [sys.executable, "-m", "streams", *args], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True
    )


def _terminate(process: subprocess.Popen[bytes] | None, timeout: float = 20.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _simulate_args(plan: SimulationPlan, bootstrap: str, days_per_second: float) -> list[str]:
    args = [
        "produce",
        "simulate",
        "-b",
        bootstrap,
        "--days-per-second",
        str(days_per_second),
        "--events-per-day",
        str(plan.events_per_day),
        "--start",
        plan.start.isoformat(),
        "--end",
        plan.end.isoformat(),
        "--seed",
        str(plan.seed),
        "--spread",
        str(plan.spread),
    ]
    for code, factor in plan.behind.items():
        args += ["--behind", f"{code}={factor}"]
    return args


@dataclass
class Demo:
    """The demo's processes: the broker (unless one already ran from its folder), a consumer and a simulator.

    The CLI starts it, shows its /metrics while it runs, and stops it; `stop()` ends what it started."""

    workdir: Path
    port: int
    metrics_port: int
    consumer: subprocess.Popen[bytes] | None = None
    simulator: subprocess.Popen[bytes] | None = None
    started_broker: bool = False

    @classmethod
    def at(cls, workdir: Path, port: int, metrics_port: int) -> Demo:
        workdir = workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        return cls(workdir, port, metrics_port)

    @property
    def data_dir(self) -> Path:
        return self.workdir / "kafka"

    @property
    def db(self) -> Path:
        return self.workdir / "customs.duckdb"

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def metrics_url(self) -> str:
        return f"http://127.0.0.1:{self.metrics_port}/metrics"

    def start_broker(self, cache_dir: Path | None = None) -> None:
        self.started_broker = broker.read_state(self.data_dir) is None
        broker.start(self.data_dir, self.port, cache_dir=cache_dir)

    def start_streams(self, plan: SimulationPlan, days_per_second: float) -> None:
        """The consumer (event clock: pace as of the simulated time) and the simulator, logging to workdir."""
        self.consumer = _spawn(
            ["consume", "-b", self.bootstrap, "--db", str(self.db), "--metrics-port", str(self.metrics_port), "--clock", "event"],
            self.workdir / "consumer.log",
        )
        self.simulator = _spawn(_simulate_args(plan, self.bootstrap, days_per_second), self.workdir / "simulator.log")

    def samples(self) -> Samples:
        """The consumer's /metrics now ({} while it does not answer)."""
        try:
            return scrape(self.metrics_url)
        except OSError:
            return {}

    def consumer_exit(self) -> int | None:
        return None if self.consumer is None else self.consumer.poll()

    def caught_up(self, samples: Samples) -> bool:
        """The simulator has finished and the consumer has stored all of it."""
        lag = sum(v for _, v in samples.get("customs_kpi_consumer_lag_records", []))
        return self.simulator is not None and self.simulator.poll() is not None and lag == 0 and bool(samples)

    def stop(self) -> int:
        """Stop what was started; 0 if the simulator had finished (or was stopped) cleanly."""
        _terminate(self.simulator)
        _terminate(self.consumer)
        if self.started_broker:
            broker.stop(self.data_dir)
        return 0 if self.simulator is not None and self.simulator.returncode in (0, -signal.SIGTERM) else 1
