"""The suite's own machinery: longest tests first, modules that share a fixture kept together, and
ports that two test workers can never both pick."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import pytest

from tests.support import ports, schedule


def test_units_go_longest_first_and_shared_fixtures_stay_together() -> None:
    nodeids = [
        "tests/unit/test_a.py::test_short",
        "tests/integration/test_security.py::test_one",
        "tests/integration/test_e2e.py::test_long",
        "tests/unit/test_a.py::test_unknown",
        "tests/integration/test_security.py::test_two",
        "tests/alerting/test_rules.py::test_mutations",
    ]
    durations = {
        nodeids[0]: 0.6,
        nodeids[1]: 3.0,
        nodeids[2]: 150.0,
        nodeids[4]: 16.0,
        nodeids[5]: 97.0,
    }
    units = schedule.units(nodeids, durations)
    assert units == [[2], [5], [1, 4], [0], [3]]  # 150, 97, 3 + 16 together, 0.6, unknown (0.5)
    assert sorted(i for unit in units for i in unit) == list(range(len(nodeids)))  # every test once


def test_the_recorded_durations_name_collected_tests(request: pytest.FixtureRequest) -> None:
    """tests/durations.json is what the scheduler reads: every name in it is a test of this suite
    (a renamed test would be scheduled as a short one), every value seconds, and the tests that set
    the suite's time are in it."""
    recorded = json.loads(schedule.DURATIONS.read_text())
    assert all(isinstance(v, float | int) and v >= schedule.UNKNOWN_S for v in recorded.values())
    collected = {item.nodeid for item in request.session.items}
    folders = {nodeid.split("/")[1] for nodeid in collected}
    if {"unit", "integration", "alerting"} <= folders:  # the whole suite was collected (not `make test-unit` or this file)
        stale = sorted(set(recorded) - collected)
        assert not stale, f"{schedule.DURATIONS.name} names tests that are gone: {stale}; refresh it with --record-durations"
    for long in (
        "tests/integration/test_alerting_e2e.py::test_behind_department_pages_and_silent_department_is_inhibited",
        "tests/alerting/test_rules.py",  # sent whole (TOGETHER): whichever of its tests runs first pays the mutants' runs
        "tests/integration/test_crash.py::test_sigkill_during_a_stream_loses_and_doubles_nothing",
    ):
        assert sum(v for k, v in recorded.items() if k == long or k.startswith(f"{long}::")) >= 30, long


@pytest.mark.parametrize("worker", ["gw0", "gw1", "gw2", "gw3"])
def test_each_worker_has_ports_of_its_own(worker: str, monkeypatch: pytest.MonkeyPatch) -> None:
    ranges = {name: ports.worker_range(name) for name in ("gw0", "gw1", "gw2", "gw3")}
    mine = ranges[worker]
    assert mine is not None and mine.stop < 32_768  # below the kernel's ephemeral ports
    for name, other in ranges.items():
        assert other is not None
        if name != worker:
            assert set(mine).isdisjoint(range(other.start, other.stop + 1))  # the pair's second port too
    monkeypatch.setenv("PYTEST_XDIST_WORKER", worker)
    for _ in range(20):
        port = ports.free_port(pair=True)
        assert port in mine and port + 1 <= mine.stop
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))  # free, as promised


def test_outside_xdist_the_kernel_picks(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)
    assert ports.worker_range() is None
    port = ports.free_port()
    assert 1024 < port <= 65000


def test_the_makefile_runs_the_suite_on_every_core_and_one_more() -> None:
    import subprocess

    root = Path(__file__).resolve().parents[2]
    makefile = (root / "Makefile").read_text()
    test_recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "-n $(WORKERS)" in test_recipe and "CUSTOMS_KPI_MAKE_TEST_STARTED" in test_recipe
    shown = subprocess.run(["make", "-s", "-C", str(root), "--eval", "show-workers: ; @echo $(WORKERS)", "show-workers"],
                           capture_output=True, text=True, check=True)  # fmt: skip
    cores = int(subprocess.run(["nproc"], capture_output=True, text=True, check=True).stdout)
    assert int(shown.stdout) == min(cores + 1, 4)  # 3 on these 2-core machines
