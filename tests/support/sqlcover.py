"""Which test is the input-to-expected test of which files of sql/: `@covers("metrics/progress")`.

The mark is read from the test modules' source (covered()), not at run time, so the check that every
file has a test holds whichever tests a worker happens to run.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

F = TypeVar("F", bound=Callable[..., object])
TESTS = Path(__file__).resolve().parents[1]


def covers(*names: str) -> Callable[[F], F]:
    """Mark a test as the input-to-expected test of these files (names as under sql/, without .sql)."""
    return lambda test: test


def covered() -> dict[str, list[str]]:
    """Each file named by a @covers mark in tests/, and the tests that carry it."""
    found: dict[str, list[str]] = {}
    for path in sorted(TESTS.rglob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            for mark in node.decorator_list:
                if isinstance(mark, ast.Call) and isinstance(mark.func, ast.Name) and mark.func.id == "covers":
                    for arg in mark.args:
                        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                            found.setdefault(arg.value, []).append(f"{path.relative_to(TESTS)}::{node.name}")
    return found
