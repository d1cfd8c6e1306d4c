"""Bytes -> one string column per contract field, parsed by Polars over whole batches.

Polars parses a column of JSON documents in one call, but one malformed document fails the
call. The batch is therefore parsed whole and, only when that fails, split in halves until the
offending messages are isolated (O(bad x log n) calls; a clean batch costs one). An isolated
message gets its precise reason from `classify_unparseable`.

Polars coerces scalars when it decodes into a typed struct (`true` -> 1.0, `1.5` -> "1.5"), so
every field is decoded as text and its JSON type is read separately from the first character of
its value in the raw text (`"` string, digit or `-` number, `t`/`f` boolean, `n` null).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl

from streams.contract.events import EventSpec
from streams.decode.reasons import RejectReason

ROW = "_row"
TYPE_PREFIX = "_type_"


@dataclass(frozen=True)
class ParseFailure:
    row: int
    reason: RejectReason
    detail: str


def _struct_dtype(spec: EventSpec) -> pl.Struct:
    return pl.Struct({name: pl.String for name in spec.field_names})


def _parse_all(rows: pl.Series, values: pl.Series, spec: EventSpec) -> pl.DataFrame:
    """Parse every value or raise; returns ROW, the field texts and their JSON type characters."""
    text = values.cast(pl.String)
    frame = pl.DataFrame({ROW: rows, "_text": text})
    frame = frame.with_columns(pl.col("_text").str.json_decode(_struct_dtype(spec)).alias("_doc"))
    if frame.height != rows.len():  # Polars drops documents it reads as empty
        raise ValueError("row count changed while parsing")
    type_chars = [pl.col("_text").str.extract(rf'"{name}"\s*:\s*(.)', 1).alias(TYPE_PREFIX + name) for name in spec.field_names]
    return frame.with_columns(type_chars).with_columns(pl.col("_doc").is_null().alias("_null_doc")).unnest("_doc")


def parse_values(rows: pl.Series, values: pl.Series, spec: EventSpec) -> tuple[pl.DataFrame, list[ParseFailure]]:
    """Parse a column of raw values; returns the parsed rows and the rows that could not be parsed."""
    if rows.len() == 0:
        return pl.DataFrame(), []
    try:
        return _parse_all(rows, values, spec), []
    except Exception as exc:
        if rows.len() == 1:
            raw = values[0]
            reason, detail = classify_unparseable(raw, spec, str(exc))
            return pl.DataFrame(), [ParseFailure(int(rows[0]), reason, detail)]
    half = rows.len() // 2
    left, left_failures = parse_values(rows[:half], values[:half], spec)
    right, right_failures = parse_values(rows[half:], values[half:], spec)
    parts = [p for p in (left, right) if p.height]
    merged = pl.concat(parts, how="vertical") if parts else pl.DataFrame()
    return merged, left_failures + right_failures


def _reject_constant(token: str) -> float:
    raise ValueError(f"{token} is not valid JSON")


_JSON_TYPES = {"string": (str,), "integer": (int, float), "number": (int, float), "boolean": (bool,)}


def classify_unparseable(raw: bytes, spec: EventSpec, polars_error: str) -> tuple[RejectReason, str]:
    """Say precisely why one message failed the bulk parse (runs only for such messages)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return RejectReason.INVALID_UTF8, f"value is not UTF-8: {exc.reason} at byte {exc.start}"
    try:
        doc = json.loads(text, parse_constant=_reject_constant)
    except RecursionError:
        return RejectReason.INVALID_JSON, "value is nested too deeply to parse"
    except ValueError as exc:
        return RejectReason.INVALID_JSON, f"value is not valid JSON: {exc}"
    if not isinstance(doc, dict):
        return RejectReason.NOT_AN_OBJECT, f"value is a JSON {_json_type_name(doc)}, not an object"
    for field in spec.fields:
        value = doc.get(field.name)
        if value is None:
            continue
        expected = _JSON_TYPES[field.json_type]
        if (isinstance(value, bool) and field.json_type != "boolean") or not isinstance(value, expected):
            return RejectReason.WRONG_TYPE, f"field {field.name} must be a JSON {field.json_type}, got a {_json_type_name(value)}"
    return RejectReason.INVALID_JSON, f"value could not be parsed: {polars_error.splitlines()[0][:200]}"


def _json_type_name(value: object) -> str:
    names = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}
    return names.get(type(value), type(value).__name__)
