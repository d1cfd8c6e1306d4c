"""What the benchmark scripts share: the machine they ran on, and appending a run to a results file."""

from __future__ import annotations

import json
import os
import platform
from pathlib import Path
from typing import Any


def machine(cpu: str | None = None) -> dict[str, Any]:
    found: dict[str, Any] = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    return found if cpu is None else {"cpus": found["cpus"], "cpu": cpu, **{k: v for k, v in found.items() if k != "cpus"}}


def record(output: Path, result: dict[str, Any]) -> None:
    """Append one run to the JSON list in `output` (created if missing), and say where."""
    output.parent.mkdir(parents=True, exist_ok=True)
    history = json.loads(output.read_text()) if output.exists() else []
    output.write_text(json.dumps([*history, result], indent=2) + "\n")
    print(f"recorded in {output}")
