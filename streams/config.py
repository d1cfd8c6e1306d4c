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


REPLICA_NAME = re.compile(r"[A-Za-z0-9._-]{1,40}")


def check_memory_limit(value: str | None, setting: str = "memory_limit") -> str | None:
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


def check_bootstrap(value: str, setting: str = "bootstrap_servers") -> str:
    servers = [s.strip() for s in value.split(",") if s.strip()]
    if not servers or not all(_HOST_PORT.match(s) for s in servers):
        raise ConfigError(setting, value, "HOST:PORT[,HOST:PORT...], e.g. 127.0.0.1:19092")
    return ",".join(servers)


def check_port(value: int, setting: str) -> int:
    if not 0 <= value <= 65535:
        raise ConfigError(setting, value, "a TCP port from 0 to 65535 (0 picks a free one)")
    return value


@dataclass(frozen=True)
class Lake:
    """Where a DuckLake lives: its catalog (`sqlite:<file>` or `postgres:<libpq settings>`) and its
    data path (Parquet files: a folder, or any path DuckLake supports). Passwords never appear here:
    PostgreSQL reads them from the environment (PGPASSWORD) or ~/.pgpass."""

    catalog: str
    data_path: str

    @property
    def kind(self) -> str:
        return self.catalog.split(":", 1)[0]

    @property
    def sqlite_file(self) -> Path | None:
        """A SQLite catalog's file (None for PostgreSQL)."""
        return Path(self.catalog.split(":", 1)[1]) if self.kind == "sqlite" else None

    def exists(self) -> bool:
        """False for a SQLite catalog whose file is missing (no publication yet); a PostgreSQL
        catalog is only known by attaching it."""
        return self.sqlite_file is None or self.sqlite_file.exists()

    @property
    def extensions(self) -> tuple[str, ...]:
        return ("ducklake", self.kind)

    @property
    def local_paths(self) -> tuple[list[str], list[str]]:
        """What a sandboxed reader must still be allowed to read: the data folder (if local) and a
        SQLite catalog's file (with its journal files), nothing else beside them."""
        folders = [] if "://" in self.data_path else [self.data_path]
        files = []
        if self.sqlite_file is not None:
            catalog = str(self.sqlite_file)
            files = [catalog, f"{catalog}-journal", f"{catalog}-wal", f"{catalog}-shm"]
        return folders, files

    def holds(self, path: Path, db: Path) -> bool:
        """Whether writing `path` would change the lake (its data folder, its SQLite catalog and the
        catalog's journals) or its store (the database file, its WAL, its index)."""
        target = path.expanduser().resolve()
        folders, files = self.local_paths
        guarded_files = [Path(f).resolve() for f in files] + [db.resolve(), Path(f"{db.resolve()}.wal")]
        guarded_folders = [Path(f).resolve() for f in folders] + [Path(f"{db.resolve()}.index")]
        return target in guarded_files or any(target == f or f in target.parents for f in guarded_folders)

    def describe(self) -> str:
        """For logs and messages: the catalog without any password, and the data path."""
        return f"{without_password(self.catalog)} (data {self.data_path})"


def lake_for(db: Path, setting: str | None = None, data: str | None = None) -> Lake:
    """The lake of the `lake` and `lake_data` settings (the text a user gives). Default: `<db>.lake/` beside the database file
    (`var/customs.lake/` for `var/customs.duckdb`), SQLite catalog and data folder inside it."""
    folder = db.with_name(db.name.removesuffix(".duckdb") + ".lake").resolve()
    text = (setting or "").strip()
    if not text:
        return Lake(f"sqlite:{folder / 'catalog.sqlite'}", _folder(data) if data else f"{folder / 'data'}/")
    kind, _, rest = text.partition(":")
    if kind == "sqlite" and rest:
        path = Path(rest).expanduser().resolve()
        return Lake(f"sqlite:{path}", _folder(data) if data else f"{path.parent / 'data'}/")
    if kind == "postgres" and rest:
        if _has_password(rest):
            raise ConfigError("lake", without_password(text), "no password in the setting: give it in PGPASSWORD (or ~/.pgpass)")
        return Lake(f"postgres:{rest}", _folder(data) if data else f"{folder / 'data'}/")
    raise ConfigError("lake", text, "sqlite:<catalog file> or postgres:<libpq settings, e.g. 'dbname=lake host=10.0.0.5 user=kpi'>")


def _folder(data: str) -> str:
    if "://" in data:
        return data.rstrip("/") + "/"
    return f"{Path(data).expanduser().resolve()}/"


# libpq takes a password as a keyword (password=..., anywhere, any case, quoted or not) or in a URI
# (postgresql://user:secret@host/db, or ?password=... in its query).
_KEYWORD = re.compile(r"password\s*=", re.IGNORECASE)
_URI_SECRET = re.compile(r"(postgres(?:ql)?://[^:/@\s]*:)([^@\s]*)(@)", re.IGNORECASE)


def _has_password(setting: str) -> bool:
    return bool(_KEYWORD.search(setting) or _URI_SECRET.search(setting))


def without_password(text: str) -> str:
    """The text with every password form masked: for messages, logs and errors."""
    text = re.sub(r"(password\s*=\s*)('[^']*'|\"[^\"]*\"|[^\s&]+)", r"\1***", text, flags=re.IGNORECASE)
    return _URI_SECRET.sub(r"\1***\3", text)


def default_group_id(db_path: Path) -> str:
    """customs-kpi-<hash of the database's absolute path>: one group per database file.

    Two consumers writing different files must not split one group's partitions, and two
    consumers on the same file are stopped by the file lock, so the group follows the file.
    """
    digest = hashlib.sha256(str(db_path.resolve()).encode()).hexdigest()[:12]
    return f"customs-kpi-{digest}"


class Secret:
    """A password: printed, logged or compared in a repr as asterisks; `reveal()` is the one way out."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


KAFKA_ENV = "CUSTOMS_KPI_KAFKA_"  # the settings below are named by their environment variables (cli/settings.py reads them)
PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True)
class KafkaConnection:
    """How every Kafka client of a command connects: the brokers, plaintext, TLS or SASL (PLAIN, SCRAM).

    Built once at the CLI edge (the credentials from the environment only: a flag would show in a
    process list); validated here, so a bad setting fails before anything connects.
    """

    bootstrap_servers: str
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: Secret | None = None
    ssl_cafile: Path | None = None
    ssl_certfile: Path | None = None
    ssl_keyfile: Path | None = None
    ssl_check_hostname: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "bootstrap_servers", check_bootstrap(self.bootstrap_servers))
        protocol = self.security_protocol.upper()
        object.__setattr__(self, "security_protocol", protocol)
        if protocol not in PROTOCOLS:
            raise ConfigError(KAFKA_ENV + "SECURITY_PROTOCOL", protocol, " or ".join(PROTOCOLS))
        if protocol == "PLAINTEXT":
            given = {"SASL_MECHANISM": self.sasl_mechanism, "SASL_USERNAME": self.sasl_username, "SASL_PASSWORD": self.sasl_password}
            stray = [KAFKA_ENV + name for name, value in {**given, "SSL_CAFILE": self.ssl_cafile}.items() if value]
            if stray:  # credentials set but unused: the connection would silently be in the clear
                raise ConfigError(KAFKA_ENV + "SECURITY_PROTOCOL", "PLAINTEXT", f"SSL, SASL_PLAINTEXT or SASL_SSL, since {stray[0]} is set")
            return
        if protocol.startswith("SASL_"):
            mechanism = (self.sasl_mechanism or "").upper()
            object.__setattr__(self, "sasl_mechanism", mechanism)
            if mechanism not in MECHANISMS:
                raise ConfigError(KAFKA_ENV + "SASL_MECHANISM", mechanism or "(unset)", " or ".join(MECHANISMS))
            if not self.sasl_username:
                raise ConfigError(KAFKA_ENV + "SASL_USERNAME", "(unset)", f"the user name for {mechanism}")
            if self.sasl_password is None or not self.sasl_password.reveal():
                raise ConfigError(KAFKA_ENV + "SASL_PASSWORD", "(unset)", f"the password of {self.sasl_username}, from the environment")
        if protocol.endswith("SSL"):
            for name, path in (("SSL_CAFILE", self.ssl_cafile), ("SSL_CERTFILE", self.ssl_certfile), ("SSL_KEYFILE", self.ssl_keyfile)):
                if path is not None and not path.is_file():
                    raise ConfigError(KAFKA_ENV + name, str(path), "a readable PEM file")
            if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
                raise ConfigError(KAFKA_ENV + "SSL_KEYFILE", str(self.ssl_keyfile or "(unset)"), "set together with SSL_CERTFILE")

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    def describe(self) -> str:
        """For logs: the protocol and user, never the password."""
        if self.uses_sasl:
            return f"{self.security_protocol} {self.sasl_mechanism} as {self.sasl_username}"
        return self.security_protocol


@dataclass(frozen=True, kw_only=True)
class ConsumerSettings:
    kafka: KafkaConnection
    db_path: Path
    metrics_port: int
    metrics_host: str = "127.0.0.1"
    clock: str = "wall"
    targets_file: Path | None = None
    group_id: str | None = None
    partitions: int = 6
    max_poll_records: int = 20_000
    poll_timeout_ms: int = 500
    batch_wait_ms: int = 500  # --batch-wait: how long a small batch waits for more records before it is written
    lake: Lake | None = None  # the analysts' lake to publish to (lake_for); None: no lake
    publish_every_s: float = 5.0  # seconds between publications to the lake
    maintain_every_s: float = 3600.0  # seconds between upkeeps of the lake (expiry, merging, deletion); 0 = none
    memory_limit: str | None = None  # DuckDB's memory_limit for the writer; None = DuckDB's default
    replica: str | None = None  # this process's name in a replica pair (docs/RELIABILITY.md); None: a single consumer
    leader_group: str = "customs-kpi-leader"  # the pair's election group (one per lake)
    leader_session_timeout_ms: int = 6_000  # how long a silent leader keeps its election

    def __post_init__(self) -> None:
        check_port(self.metrics_port, "metrics_port")
        if self.replica is not None:
            if not REPLICA_NAME.fullmatch(self.replica):
                raise ConfigError("replica", self.replica, "a name of 1 to 40 letters, digits, '.', '_' or '-', e.g. hp-1")
            if self.lake is None or self.lake.kind != "postgres":
                # A SQLite catalog lives on one machine's disk, the single point a pair removes.
                raise ConfigError(
                    "replica", self.replica, "a lake the pair shares, with a PostgreSQL catalog (--lake postgres:... and --lake-data)"
                )
        if not 1_000 <= self.leader_session_timeout_ms <= 300_000:
            raise ConfigError("leader_session_timeout_ms", self.leader_session_timeout_ms, "milliseconds from 1000 to 300000")
        if self.clock not in CLOCKS:
            raise ConfigError("clock", self.clock, "wall or event")
        if self.partitions < 1:
            raise ConfigError("partitions", self.partitions, "a whole number of at least 1")
        if not 1 <= self.max_poll_records <= 100_000:
            raise ConfigError("max_poll_records", self.max_poll_records, "a whole number from 1 to 100000")
        if not 0 <= self.batch_wait_ms <= 60_000:
            raise ConfigError("batch_wait_ms", self.batch_wait_ms, "milliseconds from 0 to 60000 (0 = write each poll at once)")
        if self.publish_every_s < 0:
            raise ConfigError("publish_every_s", self.publish_every_s, "seconds between publications to the lake, at least 0 (0 = no lake)")
        if self.lake is not None and self.publish_every_s == 0:
            raise ConfigError(
                "publish_every_s", 0, "more than 0 seconds between publications to a lake (a setting without a lake publishes nothing)"
            )
        if self.maintain_every_s < 0:
            raise ConfigError("maintain_every_s", self.maintain_every_s, "seconds between upkeeps of the lake, at least 0 (0 = none)")
        object.__setattr__(self, "memory_limit", check_memory_limit(self.memory_limit))
        if self.targets_file is not None and not self.targets_file.is_file():
            raise ConfigError("targets_file", str(self.targets_file), "an existing .csv or .yaml targets file")

    @property
    def effective_group_id(self) -> str:
        """The group id given; or, for a replica, customs-kpi-<replica> (two machines may use the same
        path); or one derived from the database's path."""
        if self.group_id:
            return self.group_id
        return f"customs-kpi-{self.replica}" if self.replica is not None else default_group_id(self.db_path)
