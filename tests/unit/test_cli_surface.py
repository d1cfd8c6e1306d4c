"""Every command's options, arguments, defaults, environment variables and help, against a recorded copy.

A change to the command line shows up here as a diff of tests/data/cli_surface.json; regenerate it
deliberately with `python -m tests.unit.test_cli_surface > tests/data/cli_surface.json`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer.main

from streams.cli import app

RECORDED = Path(__file__).resolve().parents[1] / "data" / "cli_surface.json"


def surface() -> dict[str, Any]:
    """Each command path: its help and, per parameter, flags, default, environment variable and help."""
    found: dict[str, Any] = {}

    def walk(command: Any, path: str) -> None:
        params = []
        for p in command.params:
            default = p.default if isinstance(p.default, str | int | float | bool | type(None)) else str(p.default)
            params.append(
                {
                    "name": p.name,
                    "flags": [*p.opts, *p.secondary_opts],
                    "kind": type(p).__name__,
                    "required": p.required,
                    "multiple": p.multiple,
                    "default": default,
                    "envvar": p.envvar,
                    "help": getattr(p, "help", None),
                }
            )
        found[path or "(root)"] = {"help": command.help, "params": params}
        for name, sub in sorted(getattr(command, "commands", {}).items()):  # a group's commands
            walk(sub, f"{path} {name}".strip())

    walk(typer.main.get_command(app), "")
    return found


def test_the_command_line_is_as_recorded() -> None:
    """Options, defaults, environment variables and help texts of all commands are unchanged."""
    assert surface() == json.loads(RECORDED.read_text("utf-8"))


if __name__ == "__main__":
    print(json.dumps(surface(), indent=1, ensure_ascii=False, sort_keys=True))
