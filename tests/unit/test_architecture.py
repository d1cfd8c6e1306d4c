"""The package's layering, as docs/ARCHITECTURE.md states it: imports go down the flow, never in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

STREAMS = Path(__file__).resolve().parents[2] / "streams"

# docs/ARCHITECTURE.md, "Who may import what": each package and the project packages it may import.
ALLOWED: dict[str, set[str]] = {
    "contract": set(),
    "dashboards": set(),
    "errors": set(),
    "retry": set(),
    "config": {"errors"},
    "decode": {"contract"},
    "kpi": {"contract", "errors"},
    "kafka": {"config", "contract", "errors", "retry"},
    "store": {"config", "contract", "decode", "errors", "kpi", "retry"},
    "produce": {"config", "contract", "errors", "kafka", "kpi"},
    "observe": {"contract", "decode", "store"},
    "query": {"errors", "kpi", "store"},
    "rejects": {"config", "contract", "errors", "produce", "store"},
    "consume": {"config", "contract", "decode", "kafka", "kpi", "observe", "retry", "store"},
    "demo": {"kafka", "observe", "produce"},
    "report": {"contract", "errors", "kpi", "query", "store"},
}


def imports() -> dict[str, set[str]]:
    """For each top-level package or module of streams/, the other ones its code imports."""
    found: dict[str, set[str]] = {}
    for path in STREAMS.rglob("*.py"):
        parts = path.relative_to(STREAMS).with_suffix("").parts
        if parts in (("__init__",), ("__main__",)):
            continue
        owner = parts[0]
        names: list[str] = []
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.append(node.module)
            elif isinstance(node, ast.Import):
                names += [alias.name for alias in node.names]
        targets = {n.split(".")[1] for n in names if n.startswith("streams.")}
        found.setdefault(owner, set()).update(targets - {owner})
    return found


def test_every_package_imports_only_what_the_architecture_allows() -> None:
    """A new edge between packages is a decision: make it in docs/ARCHITECTURE.md and here, or do not make it."""
    found = imports()
    crossings = {pkg: sorted(targets - ALLOWED.get(pkg, set())) for pkg, targets in found.items() if pkg != "cli"}
    assert {pkg: bad for pkg, bad in crossings.items() if bad} == {}
    assert set(found) - {"cli"} == set(ALLOWED)  # every package is in the table


def test_no_package_imports_in_a_circle() -> None:
    """Following the allowed imports from any package never comes back to it."""

    def reach(start: str) -> set[str]:
        seen: set[str] = set()
        todo = [start]
        while todo:
            for nxt in ALLOWED.get(todo.pop(), set()):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    assert [pkg for pkg in ALLOWED if pkg in reach(pkg)] == []
