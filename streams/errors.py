"""The project's error root. Errors carry data; the CLI turns them into messages and exit codes."""

from __future__ import annotations

from dataclasses import dataclass


class CustomsKpiError(Exception):
    """Root of every error this project raises on purpose."""

    exit_code = 1


@dataclass
class ConfigError(CustomsKpiError):
    """A setting has a value the program cannot use."""

    setting: str
    value: object
    expected: str

    exit_code = 2

    def __str__(self) -> str:
        return f"setting {self.setting}={self.value!r} is invalid: expected {self.expected}"


@dataclass
class DatabaseInUseError(CustomsKpiError):
    """Another process has the DuckDB file open (for writing, or for reading: DuckDB's lock is per file)."""

    path: str
    detail: str
    holder: str | None = None  # the other process, as its pid and command line, when DuckDB names it

    exit_code = 3

    def __str__(self) -> str:
        who = f"another process ({self.holder})" if self.holder else "another process"
        return (
            f"database {self.path} is open in {who}: a file can be opened for writing only while no other "
            f"process has it open, for writing or for reading. Stop that process first; analysts read the lake the "
            f"consumer publishes, which needs no access to this file ({self.detail})"
        )


@dataclass
class BrokerError(CustomsKpiError):
    """The local Kafka broker could not be built, started or reached."""

    message: str
    log_file: str | None = None

    exit_code = 4

    def __str__(self) -> str:
        if self.log_file:
            return f"{self.message} (see {self.log_file})"
        return self.message


@dataclass
class InputFileError(CustomsKpiError):
    """A file given to the program cannot be read as expected."""

    path: str
    problem: str

    exit_code = 2

    def __str__(self) -> str:
        return f"{self.path}: {self.problem}"


@dataclass
class StoreInconsistentError(CustomsKpiError):
    """The database and the writer's index beside it disagree (restored separately, or tampered with)."""

    path: str
    problem: str

    exit_code = 1

    def __str__(self) -> str:
        return (
            f"{self.path}: {self.problem}; stop the consumer and delete {self.path}.index/ (it is rebuilt from the rows on the next start)"
        )


@dataclass
class SchemaTooNewError(CustomsKpiError):
    """The database was written by a newer release: its schema has migrations this one does not know."""

    found: int
    known: int

    exit_code = 2

    def __str__(self) -> str:
        return (
            f"the database is at schema version {self.found}, newer than this release of customs-kpi knows "
            f"(up to {self.known}): it was written by a newer release; run that release (or newer) on it"
        )


@dataclass
class LakeUnavailableError(CustomsKpiError):
    """The analysts' lake cannot be attached: its catalog or its data cannot be reached."""

    lake: str  # the lake as Lake.describe() gives it (never a password)
    detail: str

    exit_code = 6

    def __str__(self) -> str:
        return f"the lake {self.lake} cannot be reached: {self.detail}"


@dataclass
class LakeMismatchError(CustomsKpiError):
    """The lake mirrors another store, or a newer copy of this one: publishing into it would mix them."""

    lake: str
    reason: str

    exit_code = 2

    def __str__(self) -> str:
        return (
            f"the lake {self.lake} does not mirror this store: {self.reason}. Nothing is published into it; "
            "`customs-kpi lake rebuild` (consumer stopped) replaces its contents with this store's, in one transaction"
        )


@dataclass
class LakeFencedError(CustomsKpiError):
    """Another replica took the lead of the lake since this one did: its publication is refused."""

    replica: str  # this replica
    epoch: int  # the epoch it led under
    leader: str  # the replica that leads now
    leader_epoch: int

    exit_code = 2

    def __str__(self) -> str:
        return (
            f"replica {self.replica} led the lake in epoch {self.epoch}; replica {self.leader or '(none)'} leads it since "
            f"epoch {self.leader_epoch}: this replica's publication is refused and it steps down"
        )


@dataclass
class QueryRefused(CustomsKpiError):
    """An analyst's statement is not allowed, failed, or ran out of time; or there is nothing to read."""

    reason: str

    exit_code = 5

    def __str__(self) -> str:
        return self.reason
