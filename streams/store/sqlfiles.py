"""The SQL of sql/, read once, with `{{name}}` placeholders filled from a closed set of values.

Placeholders stand for relations (an event table or a batch's frame) and for whole statements of
other files (`{{contribution}}`): never for data, which always travels as `$parameters` or Arrow.
"""

from __future__ import annotations

import re
from functools import cache

from streams.store.schema import sql_dir

_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


@cache
def sql_text(name: str) -> str:
    """The text of sql/<name>.sql, without its comment lines."""
    text = (sql_dir() / f"{name}.sql").read_text("utf-8")
    return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--")).strip().rstrip(";")


def literal(text: object) -> str:
    """A string as an SQL literal, quotes doubled: for the few statements that take no $parameter
    (ATTACH, LOAD, SNAPSHOT_TIME), the one quoter of the package."""
    return "'" + str(text).replace("'", "''") + "'"


def relation(name: str) -> str:
    """A relation's name, checked to be a plain identifier before it goes into SQL text."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a relation name: {name!r}")
    return name


@cache
def statement(name: str, **fill: str) -> str:
    """sql/<name>.sql with every {{placeholder}} replaced; a placeholder left unfilled is an error."""
    text = sql_text(name)

    def replace(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in fill:
            raise KeyError(f"sql/{name}.sql needs a value for {{{{{key}}}}}")
        return fill[key]

    return _PLACEHOLDER.sub(replace, text)


def placeholders(name: str) -> set[str]:
    return set(_PLACEHOLDER.findall(sql_text(name)))
