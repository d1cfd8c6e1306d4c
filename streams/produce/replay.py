"""Read contract events from JSON Lines, CSV or Parquet files and send them to their topics."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import polars as pl

from streams.contract.events import EVENT_TYPES
from streams.errors import InputFileError
from streams.produce.sender import EventSender, SendReport

_CSV_TYPES = {"string": pl.String, "integer": pl.Int64, "number": pl.Float64, "boolean": pl.Boolean}
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


@dataclass(frozen=True)
class Outgoing:
    topic: str | None  # None when the event type cannot be told
    key: bytes | None
    value: bytes


def _topic(event_type: object) -> str | None:
    spec = EVENT_TYPES.get(str(event_type)) if event_type is not None else None
    return spec.topic if spec else None


def _jsonl(path: Path) -> Iterator[Outgoing]:
    """Each non-blank line is sent as it is: bytes other systems wrote stay byte-for-byte."""
    lines = [line for line in path.read_bytes().splitlines() if line.strip()]
    if not lines:
        return
    text = pl.Series(lines, dtype=pl.Binary).cast(pl.String, strict=False)  # invalid UTF-8 -> null
    routes = pl.DataFrame({"t": text}).select(
        pl.col("t").str.extract(r'"event_type"\s*:\s*"([a-z]+)"', 1).alias("event_type"),
        pl.col("t").str.extract(r'"department_code"\s*:\s*"([^"]*)"', 1).alias("department_code"),
    )
    for line, event_type, dept in zip(lines, routes["event_type"], routes["department_code"], strict=True):
        yield Outgoing(_topic(event_type), dept.encode() if dept else None, line)


def _value(v: object) -> object:
    if isinstance(v, datetime):
        return v.isoformat()
    return v


def _rows(frame: pl.DataFrame, where: str) -> Iterator[Outgoing]:
    if "event_type" not in frame.columns:
        raise InputFileError(where, "has no event_type column, so its events cannot be routed to a topic")
    for row in frame.iter_rows(named=True):
        event = {k: _value(v) for k, v in row.items() if v is not None}
        dept = event.get("department_code")
        yield Outgoing(
            _topic(event.get("event_type")),
            str(dept).encode() if dept else None,
            json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8"),
        )


def _csv_schema() -> dict[str, type[pl.DataType]]:
    """Column types from the contract, so that '0101234567' stays a string and amounts stay integers."""
    schema: dict[str, type[pl.DataType]] = {}
    for spec in EVENT_TYPES.values():
        schema |= {f.name: _CSV_TYPES[f.json_type] for f in spec.fields}
    schema["schema_version"] = pl.Int64
    return schema


def read_events(path: Path) -> Iterator[Outgoing]:
    """The messages of one file, in file order."""
    if not path.is_file():
        raise InputFileError(str(path), "no such file")
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        yield from _jsonl(path)
    elif suffix == ".csv":
        header = pl.read_csv(path, n_rows=0).columns
        overrides = {k: v for k, v in _csv_schema().items() if k in header}
        yield from _rows(pl.read_csv(path, schema_overrides=overrides, infer_schema=False), str(path))
    elif suffix == ".parquet":
        yield from _rows(pl.read_parquet(path), str(path))
    else:
        raise InputFileError(str(path), f"unsupported file type {suffix!r}; expected .jsonl, .ndjson, .json, .csv or .parquet")


def send_all(
    messages: list[Outgoing], sender: EventSender, fallback_topic: str | None, on_progress: Callable[[int], None] = lambda _n: None
) -> SendReport:
    """Send every message to its topic (or fallback_topic); those with neither count as failed."""
    unroutable = 0
    for i, m in enumerate(messages, 1):
        topic = m.topic or fallback_topic
        if topic is None:
            unroutable += 1
        else:
            sender.send(topic, m.key, m.value)
        if i % 1000 == 0 or i == len(messages):
            on_progress(i)
    report = sender.close()
    if unroutable:
        report.failed += unroutable
        report.errors["NoTopic(event_type missing or unknown; use --topic)"] = unroutable
    return report
