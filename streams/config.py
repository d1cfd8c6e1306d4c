"""Settings, built once at the CLI edge and passed down frozen. Nothing reads the environment at import."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from streams.errors import ConfigError

_HOST_PORT = re.compile(r"^[A-Za-z0-9._\-\[\]:]+:\d{1,5}$")
CLOCKS = ("wall", "event")
_SIZE = re.compile(r"^(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>[KMGT]i?B)$", re.IGNORECASE)
_UNIT_BYTES = {"kb": 1e3, "mb": 1e6, "gb": 1e9, "tb": 1e12, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}


def check_memory_limit(value: str | None, setting: str = "--memory-limit") -> str | None:
    """A DuckDB size such as 512MB or 2GiB (at least 64 MB), or None for DuckDB's default (80% of RAM)."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    match = _SIZE.match(value)
    if match is None or float(match["number"]) * _UNIT_BYTES[match["unit"].lower()] < 64e6:
        raise ConfigError(setting, value, "a size of at least 64MB with a unit, such as 512MB or 2GiB")
    return value


def size_bytes(value: str) -> int:
    """The bytes of a size checked by check_memory_limit, e.g. 1GB -> 1000000000."""
    match = _SIZE.match(value.strip())
    if match is None:
        raise ValueError(f"not a size: {value!r}")
    return int(float(match["number"]) * _UNIT_BYTES[match["unit"].lower()])


def check_bootstrap(value: str, setting: str = "--bootstrap-servers") -> str:
    servers = [s.strip() for s in value.split(",") if s.strip()]
    if not servers or not all(_HOST_PORT.match(s) for s in servers):
        raise ConfigError(setting, value, "HOST:PORT[,HOST:PORT...], e.g. 127.0.0.1:19092")
    return ",".join(servers)


def check_port(value: int, setting: str) -> int:
    if not 0 <= value <= 65535:
        raise ConfigError(setting, value, "a TCP port from 0 to 65535 (0 picks a free one)")
    return value


def default_group_id(db_path: Path) -> str:
    """customs-kpi-<hash of the database's absolute path>: one group per database file.

    Two consumers writing different files must not split one group's partitions, and two
    consumers on the same file are stopped by the file lock, so the group follows the file.
    """
    digest = hashlib.sha256(str(db_path.resolve()).encode()).hexdigest()[:12]
    return f"customs-kpi-{digest}"


@dataclass(frozen=True)
class ConsumerSettings:
    bootstrap_servers: str
    db_path: Path
    metrics_port: int
    metrics_host: str = "127.0.0.1"
    clock: str = "wall"
    targets_file: Path | None = None
    group_id: str | None = None
    partitions: int = 6
    max_poll_records: int = 20_000
    poll_timeout_ms: int = 500
    publish_every_s: float = 5.0  # seconds between publications to the analysts' lake; 0 turns the lake off
    lake: str | None = None  # --lake: sqlite:<file> or postgres:<libpq settings>; None = beside the database
    lake_data: str | None = None  # --lake-data: the lake's data path; None = beside its catalog
    maintain_every_s: float = 3600.0  # seconds between upkeeps of the lake (expiry, merging, deletion); 0 = none
    memory_limit: str | None = None  # DuckDB's memory_limit for the writer; None = DuckDB's default

    def __post_init__(self) -> None:
        object.__setattr__(self, "bootstrap_servers", check_bootstrap(self.bootstrap_servers))
        check_port(self.metrics_port, "--metrics-port")
        if self.clock not in CLOCKS:
            raise ConfigError("--clock", self.clock, "wall or event")
        if self.partitions < 1:
            raise ConfigError("--partitions", self.partitions, "a whole number of at least 1")
        if not 1 <= self.max_poll_records <= 100_000:
            raise ConfigError("--max-poll-records", self.max_poll_records, "a whole number from 1 to 100000")
        if self.publish_every_s < 0:
            raise ConfigError("--publish-every", self.publish_every_s, "seconds between publications to the lake, at least 0 (0 = no lake)")
        if self.maintain_every_s < 0:
            raise ConfigError("--maintain-every", self.maintain_every_s, "seconds between upkeeps of the lake, at least 0 (0 = none)")
        from streams.store.lake import lake_for

        lake_for(self.db_path, self.lake, self.lake_data)  # a bad --lake fails here, before anything starts
        object.__setattr__(self, "memory_limit", check_memory_limit(self.memory_limit))
        if self.targets_file is not None and not self.targets_file.is_file():
            raise ConfigError("--targets", str(self.targets_file), "an existing .csv or .yaml targets file")

    @property
    def effective_group_id(self) -> str:
        return self.group_id or default_group_id(self.db_path)
