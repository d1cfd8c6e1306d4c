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
    """Another process holds the DuckDB file for writing."""

    path: str
    detail: str

    exit_code = 3

    def __str__(self) -> str:
        return (
            f"database {self.path} is already open for writing by another process; "
            f"only one consumer may write a database file ({self.detail})"
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
