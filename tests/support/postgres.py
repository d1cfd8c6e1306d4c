"""A real PostgreSQL server for tests (Debian's package): its own cluster in a temporary folder,
on a loopback port, run as the `postgres` user (PostgreSQL refuses to run as root), with a
password-protected role, as a production catalog would be."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
from pathlib import Path

from tests.support.ports import free_port


def _bin(name: str) -> str:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    if not found:
        raise AssertionError(f"PostgreSQL's {name} is missing: `make tools` installs Debian's postgresql package")
    return found[-1]


def _as_postgres(*args: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *args] if os.geteuid() == 0 else list(args)


class Postgres:
    """initdb, pg_ctl start on 127.0.0.1:<free port>; a role and a database for the lake."""

    def __init__(self, folder: Path, user: str = "kpi", password: str = "lake-secret-42", database: str = "lake") -> None:
        self.folder, self.user, self.password, self.database = folder, user, password, database
        self.data = folder / "data"
        self.port = free_port()

    @property
    def conninfo(self) -> str:
        """Without the password: the lake's setting (PGPASSWORD carries the password)."""
        return f"dbname={self.database} host=127.0.0.1 port={self.port} user={self.user}"

    def start(self) -> Postgres:
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        pwfile = self.folder / "superuser.pw"
        pwfile.write_text("postgres-secret\n")
        if os.geteuid() == 0:
            shutil.chown(pwfile, "postgres", "postgres")
        self._run(_bin("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=scram-sha-256", f"--pwfile={pwfile}", "-E", "UTF8")
        self._run(
            _bin("pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.folder / "server.log"),
            "-o",
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder}",
            "-w",
            "start",
        )
        self.psql(f"CREATE ROLE {self.user} LOGIN PASSWORD '{self.password}'", superuser=True)
        self.psql(f"CREATE DATABASE {self.database} OWNER {self.user}", superuser=True)
        return self

    def new_database(self, database: str) -> Postgres:
        """The same server and role with a database of its own (a test's own lake catalog)."""
        self.psql(f"CREATE DATABASE {database} OWNER {self.user}", superuser=True)
        other = Postgres(self.folder, self.user, self.password, database)
        other.port = self.port
        return other

    def psql(self, sql: str, superuser: bool = False, database: str | None = None) -> str:
        user, password = ("postgres", "postgres-secret") if superuser else (self.user, self.password)
        target = database or ("postgres" if superuser else self.database)
        result = subprocess.run(
            [_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", user, "-d", target, "-v", "ON_ERROR_STOP=1", "-At", "-c", sql],
            capture_output=True,
            text=True,
            env={**os.environ, "PGPASSWORD": password},
            timeout=60,
        )
        if result.returncode != 0:
            raise AssertionError(f"psql {sql!r} failed: {result.stderr}")
        return result.stdout.strip()

    def session(self) -> subprocess.Popen[str]:
        """An interactive psql session as the lake's role (to hold a lock while a test acts)."""
        return subprocess.Popen(
            [_bin("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", self.user, "-d", self.database, "-v", "ON_ERROR_STOP=1", "-At"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PGPASSWORD": self.password},
        )

    def stop(self) -> None:
        if self.data.exists():
            subprocess.run(_as_postgres(_bin("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"), capture_output=True, timeout=60)

    def _run(self, *args: str) -> None:
        result = subprocess.run(_as_postgres(*args), capture_output=True, text=True, timeout=120, cwd="/")
        if result.returncode != 0:
            log = self.folder / "server.log"
            raise AssertionError(f"{' '.join(args)} failed: {result.stdout}{result.stderr}{log.read_text() if log.exists() else ''}")
