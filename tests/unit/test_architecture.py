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
    "store": {"config", "contract", "decode", "errors", "kpi"},
    "lake": {"config", "errors", "store"},
    "read": {"config", "errors", "kpi", "lake", "retry", "store"},
    "produce": {"config", "contract", "errors", "kafka", "kpi"},
    "observe": {"contract", "decode", "read"},
    "query": {"errors", "kpi", "read", "store"},
    "rejects": {"config", "contract", "errors", "produce", "read"},
    "consume": {"config", "contract", "decode", "errors", "kafka", "kpi", "lake", "observe", "read", "retry", "store"},
    "demo": {"kafka", "observe", "produce"},
    "report": {"contract", "errors", "kpi", "query", "read", "store"},
}
# Packages other packages reach only through their public face (the names of their __init__'s __all__).
FACED = ("store", "lake", "read")


def _imported(path: Path) -> list[str]:
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return names


def imports() -> dict[str, set[str]]:
    """For each top-level package or module of streams/, the other ones its code imports."""
    found: dict[str, set[str]] = {}
    for path in STREAMS.rglob("*.py"):
        parts = path.relative_to(STREAMS).with_suffix("").parts
        if parts in (("__init__",), ("__main__",)):
            continue
        owner = parts[0]
        names = _imported(path)
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


def test_the_store_the_lake_and_the_read_side_are_reached_through_their_faces() -> None:
    """Outside streams/store, streams/lake and streams/read, code imports `streams.store` (and the
    others), never one of their modules: what a package offers is its __all__."""
    crossings = []
    for path in STREAMS.rglob("*.py"):
        owner = path.relative_to(STREAMS).parts[0]
        for name in _imported(path):
            parts = name.split(".")
            if len(parts) > 2 and parts[0] == "streams" and parts[1] in FACED and parts[1] != owner:
                crossings.append(f"{path.relative_to(STREAMS)}: {name}")
    assert crossings == []


def test_each_face_exports_what_it_imports() -> None:
    """Every name a face imports is in its __all__, and every name of __all__ exists."""
    import importlib

    for package in FACED:
        module = importlib.import_module(f"streams.{package}")
        exported = set(module.__all__)
        assert all(hasattr(module, name) for name in exported), package
        tree = ast.parse((STREAMS / package / "__init__.py").read_text("utf-8"))
        imported = {a.asname or a.name for node in tree.body if isinstance(node, ast.ImportFrom) for a in node.names}
        assert imported - exported - {"annotations"} == set(), package
