"""The producer commands' bodies: progress bars and summaries around play() and read_events()."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from streams.kafka.topics import admin_client
from streams.kpi.targets import load_targets
from streams.produce.replay import read_events
from streams.produce.run import play
from streams.produce.sender import EventSender, SendReport
from streams.produce.simulator import SimulationPlan, Simulator


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()
    for s in (signal.SIGTERM, signal.SIGINT):
        signal.signal(s, lambda *_: stop.set())
    return stop


def run_simulate(bootstrap: str, plan: SimulationPlan, days_per_second: float, targets: Path | None) -> SendReport:
    simulator = Simulator(plan, load_targets(targets))
    admin_client(bootstrap).close()  # a clear error now rather than failed sends later
    sender = EventSender(bootstrap)
    stop = _stop_on_signals()
    total_days = (plan.end - plan.start).total_seconds() / 86400
    with Progress(
        TextColumn("simulating"),
        BarColumn(),
        TextColumn("{task.fields[day]}"),
        TextColumn("{task.fields[sent]} events"),
        TimeElapsedColumn(),
        transient=False,
    ) as progress:
        task = progress.add_task("sim", total=total_days, day="", sent=0)

        def tick(count: int, event: object) -> None:
            t = event.occurred_at  # type: ignore[attr-defined]
            progress.update(task, completed=(t - plan.start).total_seconds() / 86400, day=t.date().isoformat(), sent=count)

        report = play(simulator.events(), sender, days_per_second=days_per_second, stop=stop, on_progress=tick)
        progress.update(task, completed=total_days, sent=report.sent)
    return report


def run_replay(bootstrap: str, files: list[Path], fallback_topic: str | None) -> SendReport:
    messages = [m for path in files for m in read_events(path)]
    admin_client(bootstrap).close()
    sender = EventSender(bootstrap)
    unroutable = 0
    with Progress(TextColumn("replaying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn()) as progress:
        task = progress.add_task("replay", total=len(messages))
        for i, m in enumerate(messages, 1):
            topic = m.topic or fallback_topic
            if topic is None:
                unroutable += 1
            else:
                sender.send(topic, m.key, m.value)
            if i % 1000 == 0 or i == len(messages):
                progress.update(task, completed=i)
    report = sender.close()
    if unroutable:
        report.failed += unroutable
        report.errors["NoTopic(event_type missing or unknown; use --topic)"] = unroutable
    return report
