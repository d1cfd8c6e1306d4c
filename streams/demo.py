"""The local demo: a broker, a consumer and a simulated year, shown live; Ctrl-C stops what it started."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.live import Live

from streams.kafka import broker
from streams.observe.console import progress_table, scrape
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
    ]
    for code, factor in plan.behind.items():
        args += ["--behind", f"{code}={factor}"]
    return args


def run_demo(workdir: Path, port: int, metrics_port: int, days_per_second: float, plan: SimulationPlan, exit_when_done: bool) -> int:
    console = Console()
    workdir = workdir.resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    data_dir, db = workdir / "kafka", workdir / "customs.duckdb"
    bootstrap = f"127.0.0.1:{port}"
    url = f"http://127.0.0.1:{metrics_port}/metrics"
    started_broker = broker.read_state(data_dir) is None
    consumer = simulator = None
    interrupted = False
    try:
        with console.status("starting the Kafka broker (the first run downloads its jars with Maven)..."):
            broker.start(data_dir, port)
        consumer = _spawn(
            ["consume", "-b", bootstrap, "--db", str(db), "--metrics-port", str(metrics_port), "--clock", "event"], workdir / "consumer.log"
        )
        simulator = _spawn(_simulate_args(plan, bootstrap, days_per_second), workdir / "simulator.log")
        console.print(f"Kafka: {bootstrap}   metrics: {url}   DuckDB: {db}   logs: {workdir}/*.log")
        behind = ", ".join(f"{code} at {factor:.0%}" for code, factor in plan.behind.items()) or "none"
        console.print(
            f"Simulating {plan.start.date()} to {plan.end.date()} (ILLUSTRATIVE data) at {days_per_second:g} days per second; "
            f"made to fall behind: {behind}. Press Ctrl-C to stop everything."
        )
        with Live(console=console, refresh_per_second=2) as live:
            settled = 0
            while True:
                if consumer.poll() is not None:
                    console.print(f"[red]the consumer exited ({consumer.returncode}); see {workdir / 'consumer.log'}[/]")
                    return 1
                try:
                    samples = scrape(url)
                    live.update(progress_table(samples))
                except OSError:
                    samples = {}
                lag = sum(v for _, v in samples.get("customs_kpi_consumer_lag_records", []))
                if simulator.poll() is not None and lag == 0 and samples:
                    settled += 1
                    if exit_when_done and settled >= 3:
                        break
                time.sleep(1.0)
    except KeyboardInterrupt:
        interrupted = True
    finally:
        _terminate(simulator)
        _terminate(consumer)
        if started_broker:
            broker.stop(data_dir)
        console.print(f"stopped. The DuckDB file stays at {db}" + (" (interrupted)" if interrupted else ""))
    return 0 if simulator is not None and simulator.returncode in (0, -signal.SIGTERM) else 1
