"""Markers by folder: every test under tests/integration is `integration` (it needs the real broker,
Prometheus or PostgreSQL started by the fixtures), so `-m "not integration"` runs the rest.

The suite runs on every core with pytest-xdist (`make test`), longest tests first, and reports its
wall time and ten slowest tests at the end: tests/support/schedule.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.support import schedule

INTEGRATION = Path(__file__).parent / "integration"
pytest_plugins = ["tests.support.fixtures"]  # the broker and the other shared fixtures; no test imports a conftest


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--record-durations", action="store_true", help=f"write each test's duration to {schedule.DURATIONS.name}")


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(schedule.SuiteTiming(config), "customs-kpi-suite-timing")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if INTEGRATION in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)


@pytest.hookimpl(optionalhook=True, tryfirst=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """Longest tests first under `--dist load` (what `-n` means by default); other modes as xdist has them."""
    return schedule.make_scheduler(config, log) if config.getoption("dist") == "load" else None
