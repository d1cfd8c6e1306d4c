"""Markers by folder: every test under tests/integration is `integration` (it needs the real broker,
Prometheus or PostgreSQL started by the fixtures), so `-m "not integration"` runs the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

INTEGRATION = Path(__file__).parent / "integration"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if INTEGRATION in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.integration)
