"""Stores with known rows, written as the consumer writes them (decoded batches, real DuckDB), and
the command run in this process: what several test modules share.

`write` puts revenue events on partition 0 at consecutive offsets; `load` any event type without
offsets (for views and queries); `Feed` several topics at once with offsets, as the consumer does
(the aggregate and lake tests); `held` keeps a file open in another process; `customs_kpi` runs
the command as the installed one does, errors and exit codes included."""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from streams.cli import main
from streams.contract import EVENT_TYPES
from streams.decode import decode_batch
from streams.store import aggregates, open_store
from tests.support.factories import NOW, raw_batch

REV = EVENT_TYPES["revenue"]
SPECS = {name: EVENT_TYPES[name] for name in ("revenue", "declaration", "seizure")}
FEED_NOW = datetime(2021, 7, 1, tzinfo=UTC)  # what the aggregate tests' batches are received at
VIEWS_NOW = datetime(2022, 6, 1, tzinfo=UTC)  # and the views' and queries' tests'


def write(store, values, partition=0, first_offset=0):  # type: ignore[no-untyped-def]
    batch = decode_batch(REV, raw_batch(REV.topic, values, partition, first_offset), NOW)
    return store.write_batch([(REV, batch)], {(REV.topic, partition): first_offset + len(values)}, NOW)


def load(store, values: list[dict], event_type: str, now: datetime = VIEWS_NOW) -> None:  # type: ignore[no-untyped-def,type-arg]
    spec = EVENT_TYPES[event_type]
    batch = decode_batch(spec, raw_batch(spec.topic, values), now)
    assert batch.rejects.height == 0, batch.rejects.select("detail").to_series().to_list()
    store.write_batch([(spec, batch)], {}, now)


class Feed:
    """Writes batches with consecutive offsets per topic (partition 0), as the consumer would."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.store = open_store(path)
        self.offsets: dict[str, int] = {}

    def reopen(self) -> None:
        self.store.close()
        self.store = open_store(self.path)

    def write(self, **events: list[dict | bytes]) -> dict[str, dict[str, int]]:  # type: ignore[type-arg]
        decoded, next_offsets = [], {}
        for name, values in events.items():
            spec = SPECS[name]
            first = self.offsets.get(spec.topic, 0)
            decoded.append((spec, decode_batch(spec, raw_batch(spec.topic, values, 0, first), FEED_NOW)))
            self.offsets[spec.topic] = next_offsets[(spec.topic, 0)] = first + len(values)
        counts = self.store.write_batch(decoded, next_offsets, FEED_NOW)
        return {"accepted": counts.accepted, "duplicates": counts.duplicates, "rejected": counts.rejected}

    def audit(self) -> dict[str, pl.DataFrame]:
        with self.store.reader() as con:
            return {name: rows for name, rows in aggregates.audit(con).items() if rows.height}

    def rows(self, sql: str) -> list[tuple]:  # type: ignore[type-arg]
        with self.store.reader() as con:
            return con.execute(sql).fetchall()


@contextmanager
def held(path: Path, read_only: bool) -> Iterator[subprocess.Popen[str]]:
    """Another process with the file open (read-only or not) while the block runs."""
    code = f"import duckdb,time; c=duckdb.connect({str(path)!r}, read_only={read_only}); print('ok', flush=True); time.sleep(60)"
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ok"
        yield holder
    finally:
        holder.kill()
        holder.wait()


def customs_kpi(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, *args: str) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of one command."""
    monkeypatch.setattr(sys, "argv", ["customs-kpi", *args])
    code = 0
    try:
        main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    out, err = capsys.readouterr()
    return code, out, err


def run_cli(*args: str, columns: int | None = None) -> subprocess.CompletedProcess[str]:
    """One `customs-kpi` command run in this process as the installed command runs it, its output
    captured (a subprocess would spend a second and a half importing); `columns`: the terminal's width."""
    out, err = io.StringIO(), io.StringIO()
    argv, sys.argv = sys.argv, ["customs-kpi", *args]
    width = os.environ.get("COLUMNS")
    if columns is not None:
        os.environ["COLUMNS"] = str(columns)
    code = 0
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            main()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    finally:
        sys.argv = argv
        if columns is not None:
            if width is None:
                os.environ.pop("COLUMNS", None)
            else:
                os.environ["COLUMNS"] = width
    return subprocess.CompletedProcess(["customs-kpi", *args], code, out.getvalue(), err.getvalue())
