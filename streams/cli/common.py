"""What the command groups share: option types, logging, time and simulation-plan parsing."""

from __future__ import annotations

import dataclasses
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from streams.errors import ConfigError

if TYPE_CHECKING:
    from streams.produce.simulator import SimulationPlan

# The library's errors name settings (the fields of streams.config, a function's parameter); a user
# meets them as flags. A setting not here is shown as the library names it (an environment variable).
FLAGS = {
    "as_of": "--as-of",
    "batch_wait_ms": "--batch-wait",
    "bootstrap_servers": "--bootstrap-servers",
    "by": "--by",
    "clock": "--clock",
    "db": "--db",
    "export": "EXPORT",
    "format": "--format",
    "lake": "--lake",
    "lake_data": "--lake-data",
    "leader_group": "--leader-group",
    "leader_session_timeout_ms": "--leader-session-timeout",
    "maintain_every_s": "--maintain-every",
    "max_poll_records": "--max-poll-records",
    "max_rows": "--max-rows",
    "memory_limit": "--memory-limit",
    "metrics_port": "--metrics-port",
    "name": "NAME",
    "output": "--output",
    "partitions": "--partitions",
    "publish_every_s": "--publish-every",
    "replica": "--replica",
    "targets_file": "--targets",
    "timeout": "--timeout",
    "to": "--to",
}


def as_flag(error: ConfigError) -> ConfigError:
    """The error as a user of the command line meets it: its setting named by the flag that sets it."""
    return dataclasses.replace(error, setting=FLAGS.get(error.setting, error.setting))


DEFAULT_DATA = Path("var/kafka")
DEFAULT_DB = Path("var/customs.duckdb")
DEMO_DIR = Path("var/demo")  # `customs-kpi demo`'s folder: its broker data, database, logs and briefing
DEMO_DB = DEMO_DIR / "customs.duckdb"
Bootstrap = Annotated[str, typer.Option("--bootstrap-servers", "-b", envvar="CUSTOMS_KPI_BOOTSTRAP_SERVERS", help="Kafka HOST:PORT list.")]
Db = Annotated[Path, typer.Option(envvar="CUSTOMS_KPI_DB", help="The consumer's DuckDB file (its lake is read once published).")]
LakeOpt = Annotated[
    str | None,
    typer.Option(
        "--lake",
        envvar="CUSTOMS_KPI_LAKE",
        help="The analysts' lake catalog: sqlite:FILE or postgres:'dbname=... host=... user=...' (password: PGPASSWORD); "
        "default: <db>.lake/ beside the database.",
    ),
]
LakeData = Annotated[
    str | None,
    typer.Option("--lake-data", envvar="CUSTOMS_KPI_LAKE_DATA", help="The lake's data path (Parquet files); default: beside its catalog."),
]


def setup_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("kafka").setLevel(logging.WARNING)


def parse_time(value: str, setting: str) -> datetime:
    try:
        t = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ConfigError(setting, value, "an ISO date or timestamp, e.g. 2021-01-01 or 2021-01-01T00:00:00+07:00") from exc
    if t.tzinfo is None:
        from streams.kpi.clock import VIETNAM

        t = t.replace(tzinfo=VIETNAM)
    from streams.kpi.clock import FIRST_DAY, LAST_DAY

    if not FIRST_DAY <= t.date() <= LAST_DAY:
        raise ConfigError(setting, value, f"a time from {FIRST_DAY} (the contract's first day) to {LAST_DAY}")
    return t


def simulation_plan(
    start: str, end: str, events_per_day: int, seed: int, performance: float, behind: list[str], silent: list[str], spread: float = 0.0
) -> SimulationPlan:
    from streams.contract.reference import department_codes
    from streams.produce.simulator import SimulationPlan

    factors: dict[str, float] = {}
    for item in behind:
        code, _, factor = item.partition("=")
        try:
            value = float(factor)
        except ValueError:
            value = -1.0
        if code not in department_codes() or not 0 <= value <= 10:
            raise ConfigError("--behind", item, "DEPT=FACTOR with a department code and a factor from 0 to 10, e.g. 03=0.8")
        factors[code] = value
    never: set[str] = set()
    stop_at: dict[str, datetime] = {}
    for item in silent:
        code, at, when = item.partition("@")
        if code not in department_codes():
            raise ConfigError("--silent", item, "DEPT or DEPT@TIME with a department code from reference/departments.csv, e.g. 03")
        if at:
            stop_at[code] = parse_time(when, "--silent")
        else:
            never.add(code)
    if events_per_day < 1:
        raise ConfigError("--events-per-day", events_per_day, "a whole number of at least 1")
    first, last = parse_time(start, "--start"), parse_time(end, "--end")
    if last <= first:
        raise ConfigError("--end", end, f"a time after --start {start}")
    if not 0 <= spread <= 0.5:
        raise ConfigError("--spread", spread, "a number from 0 (every department exactly on its target) to 0.5, e.g. 0.1")
    return SimulationPlan(first, last, events_per_day, seed, performance, factors, frozenset(never), stop_at, spread)


def existing(db: Path) -> Path:
    """The store a maintenance command works on, which must exist: opening a missing path would create an empty one."""
    if not db.exists():
        raise ConfigError("--db", str(db), "an existing store: the consumer's DuckDB file")
    return db
