"""Load DuckDB's ducklake, sqlite and postgres extensions from their PyPI wheels.

DuckDB's extension repository is not reachable from these machines (nor, often, from a customs
network), and installing at run time would fetch code on a production host. The wheels
`duckdb-extension-<name>` hold the signed binaries for exactly the pinned DuckDB release under
`extensions/v<version>/`, and `LOAD '<path>'` checks their signature (unsigned loading stays off).
DuckDB takes an extension's entry point from its file name, and the sqlite and postgres binaries
are named after their packages: they are loaded through a link named `sqlite_scanner` /
`postgres_scanner` in a folder of this process's own.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import shutil
import tempfile
import threading
from functools import cache
from pathlib import Path

import duckdb

from streams.errors import ConfigError
from streams.store import literal

_ENTRY_NAME = {"ducklake": "ducklake", "sqlite": "sqlite_scanner", "postgres": "postgres_scanner"}


@cache
def extension_file(name: str, persistent: bool = False) -> Path:
    """The binary of extension `name` for the installed DuckDB, under the name DuckDB expects;
    persistent: through a link that outlives this process (in ~/.cache/customs-kpi), for a DuckDB
    session started elsewhere (`customs-kpi lake views --attach`)."""
    package = f"duckdb_extension_{name}"
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError(package.replace("_", "-"), "not installed", f"version {duckdb.__version__}, as pyproject.toml pins it")
    folder = Path(next(iter(spec.submodule_search_locations))) / "extensions" / f"v{duckdb.__version__}"
    binary = folder / f"{name}.duckdb_extension"
    if not binary.is_file():
        raise ConfigError(
            package.replace("_", "-"),
            f"a build without {binary.name} for DuckDB {duckdb.__version__}",
            f"version {duckdb.__version__}, as pyproject.toml pins it",
        )
    entry = _ENTRY_NAME[name]
    if entry == name:
        return binary
    folder = Path.home() / ".cache" / "customs-kpi" / "extensions" / f"v{duckdb.__version__}" if persistent else Path(_links())
    folder.mkdir(parents=True, exist_ok=True)
    link = folder / f"{entry}.duckdb_extension"
    if not (link.is_symlink() and link.resolve() == binary.resolve()):
        # Made beside it and renamed into place: two processes at once (a shared cache folder) each
        # put a whole link there, and a link to another environment's wheel is replaced.
        staged = folder / f".{entry}.{os.getpid()}.{threading.get_ident()}"
        staged.unlink(missing_ok=True)
        os.symlink(binary, staged)
        os.replace(staged, link)
    return link


@cache
def _links() -> str:
    folder = tempfile.mkdtemp(prefix="customs-kpi-ext-")  # private (0700): nobody else can plant a file here
    atexit.register(shutil.rmtree, folder, True)
    return folder


def load_extensions(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    for name in names:
        con.execute(f"LOAD {literal(extension_file(name))}")
