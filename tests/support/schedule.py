"""Running the suite on every core (pytest-xdist), longest tests first, and keeping its time in view.

The suite's wall time is set by a few long tests (the alerting end-to-end window, the rule
mutations, the SIGKILL test, the broker restart): in collection order two of them could land on
one worker while the other runs out of work. The scheduler here hands out tests longest first,
one unit at a time to whichever worker has room (each keeps one test queued behind the running
one, which pytest needs to know which fixtures to tear down). Expected durations come from
tests/durations.json, written by `pytest --record-durations` (a test it does not know counts as
short). The tests of a module that share a module-scoped fixture (a broker of their own, a
database built once) go to one worker together, so the fixture is set up once.

At the end of every run the summary shows the suite's wall time (and the whole `make test`'s,
lint included, when the Makefile passes its start) and the ten slowest tests, set-up and
teardown included, with the worker that ran each.
"""

from __future__ import annotations

import json
import os
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

DURATIONS = Path(__file__).resolve().parents[1] / "durations.json"
UNKNOWN_S = 0.5  # a test not in the file: new tests are usually short ones
# Modules whose tests share a module-scoped fixture: run together, on one worker.
TOGETHER = (
    "tests/integration/test_security.py",
    "tests/integration/test_report.py",
    "tests/alerting/test_rules.py",
    "tests/integration/test_lake_postgres.py",  # one PostgreSQL server for its tests
)
MAKE_STARTED = "CUSTOMS_KPI_MAKE_TEST_STARTED"  # set by `make test`: the epoch second it began


def expected_durations(path: Path = DURATIONS) -> dict[str, float]:
    try:
        return {str(k): float(v) for k, v in json.loads(path.read_text()).items()}
    except FileNotFoundError:
        return {}


def units(nodeids: list[str], durations: dict[str, float]) -> list[list[int]]:
    """Indices of nodeids in units to send whole, longest unit first (ties in collection order)."""
    grouped: dict[str, list[int]] = {}
    for index, nodeid in enumerate(nodeids):
        module = nodeid.split("::")[0]
        key = module if module in TOGETHER else nodeid
        grouped.setdefault(key, []).append(index)

    def cost(unit: list[int]) -> float:
        return sum(durations.get(nodeids[i], UNKNOWN_S) for i in unit)

    return sorted(grouped.values(), key=lambda unit: -cost(unit))


def make_scheduler(config: pytest.Config, log: Any) -> Any:
    """An xdist LoadScheduling that sends whole units, longest first, as workers free up."""
    from xdist.scheduler import LoadScheduling

    class LongestFirst(LoadScheduling):  # type: ignore[misc]
        def schedule(self) -> None:
            assert self.collection_is_completed
            if self.collection is not None:
                for node in self.nodes:
                    self.check_schedule(node)
                return
            if not self._check_nodes_have_same_collection():
                self.log("**Different tests collected, aborting run**")
                return
            self.collection = next(iter(self.node2collection.values()))
            self.units = units(list(self.collection), expected_durations())
            self.pending[:] = [i for unit in self.units for i in unit]
            for _ in range(2):  # each worker: one test running, one queued
                for node in self.nodes:
                    self._send_unit(node)
            if not self.pending:
                for node in self.nodes:
                    node.shutdown()

        def _send_unit(self, node: Any) -> None:
            if self.units:
                unit = self.units.pop(0)
                for index in unit:
                    self.pending.remove(index)
                self.node2pending[node].extend(unit)
                node.send_runtest_some(unit)

        def check_schedule(self, node: Any, duration: float = 0) -> None:
            if node.shutting_down:
                return
            if self.pending:
                while self.units and len(self.node2pending[node]) < 2:  # a new worker (a crashed one's clone) too
                    self._send_unit(node)
            else:
                node.shutdown()

        def mark_test_pending(self, item: str) -> None:  # a test to run again (a crashed worker's): alone, first
            assert self.collection is not None
            index = self.collection.index(item)
            self.pending.insert(0, index)
            self.units.insert(0, [index])
            for node in self.node2pending:
                self.check_schedule(node)

        def remove_node(self, node: Any) -> str | None:
            pending = self.node2pending.pop(node)
            if not pending:
                return None
            assert self.collection is not None
            crashed = self.collection[pending.pop(0)]
            if pending:  # first, and together: they may share a module's fixture
                self.pending.extend(pending)
                self.units.insert(0, pending)
            for other in self.node2pending:
                self.check_schedule(other)
            return str(crashed)

    return LongestFirst(config, log)


class SuiteTiming:
    """Durations per test (set-up, call and teardown together), the wall time, and the record."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.started = time.monotonic()
        self.durations: dict[str, float] = defaultdict(float)
        self.workers: dict[str, str] = {}

    @pytest.hookimpl
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        self.durations[report.nodeid] += report.duration
        node = getattr(report, "node", None)
        if node is not None:
            self.workers[report.nodeid] = str(node.gateway.id)

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        wall = time.monotonic() - self.started
        write = terminalreporter.write_line
        terminalreporter.section("the suite's time")
        workers = self.config.getoption("numprocesses", None)
        where = f" on {len(set(self.workers.values()))} workers" if self.workers else (" in one process" if not workers else "")
        write(f"tests: {wall:.0f} s of wall time{where}, {len(self.durations)} tests")
        busy: dict[str, float] = defaultdict(float)
        for nodeid, worker in self.workers.items():
            busy[worker] += self.durations[nodeid]
        if busy:
            write("busy per worker: " + ", ".join(f"{worker} {seconds:.0f} s" for worker, seconds in sorted(busy.items())))
        started = os.environ.get(MAKE_STARTED)
        if started:
            write(f"make test (install check, lint, types and tests): {time.time() - float(started):.0f} s of wall time")
        write("ten slowest tests (set-up, call and teardown):")
        for nodeid, seconds in sorted(self.durations.items(), key=lambda item: -item[1])[:10]:
            worker = self.workers.get(nodeid, "")
            write(f"  {seconds:7.1f} s  {worker:4} {nodeid}")
        if self.config.getoption("record_durations") and not hasattr(self.config, "workerinput"):  # the controller's whole view
            DURATIONS.write_text(
                json.dumps({k: round(v, 1) for k, v in sorted(self.durations.items()) if v >= UNKNOWN_S}, indent=0, sort_keys=True) + "\n"
            )
            write(f"recorded the durations of {len(self.durations)} tests in {DURATIONS.relative_to(Path.cwd())}")
