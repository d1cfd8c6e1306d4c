"""Bytes -> one string column per contract field, parsed by Polars over whole batches.

Polars parses a column of JSON documents in one call, but one malformed document fails the
call. The batch is therefore parsed whole and, only when that fails, split in halves until the
offending messages are isolated (O(bad x log n) calls; a clean batch costs one). An isolated
message gets its precise reason from `classify_unparseable`.

Polars coerces scalars when it decodes into a typed struct (`true` -> 1.0, `1.5` -> "1.5"), so
every field is decoded as text and its JSON type is read separately from the first character of
its value in the raw text (`"` string, digit or `-` number, `t`/`f` boolean, `n` null), for the
fields where a wrong type could otherwise pass unnoticed (`needs_type_check`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl

from streams.contract.events import EventSpec, FieldSpec
from streams.decode.reasons import RejectReason

ROW = "_row"
TYPE_PREFIX = "_type_"
_NO_SCALAR_MATCHES = frozenset({"occurred_at", "type_code"})  # their patterns need letters or punctuation


@dataclass(frozen=True)
class ParseFailure:
    row: int
    reason: RejectReason
    detail: str


def _struct_dtype(spec: EventSpec) -> pl.Struct:
    return pl.Struct({name: pl.String for name in spec.field_names})


def needs_type_check(field: FieldSpec) -> bool:
    """Whether a value of the wrong JSON type could pass the field's value rules unnoticed.

    Polars reads a number or boolean given for a string field as its text, so "03" and 3 look
    alike. Fields whose enum or pattern no number, boolean or null can match (status, channel,
    type_code, occurred_at, ...) are rejected by those rules anyway, so their type is not read.
    """
    if field.json_type != "string":
        return True
    return not (field.enum or field.name in _NO_SCALAR_MATCHES)


def _first_value_char(name: str) -> pl.Expr:
    """The first character of the value of top-level key `name` in the raw text, or null."""
    key = f'"{name}"'
    text = pl.col("_text")
    after = text.str.slice(text.str.find(key, literal=True) + len(key), 64)
    return after.str.strip_chars_start(" \t\r\n").str.strip_prefix(":").str.strip_chars_start(" \t\r\n").str.slice(0, 1)


def _parse_all(rows: pl.Series, values: pl.Series, spec: EventSpec) -> pl.DataFrame:
    """Parse every value or raise; returns ROW, the field texts and their JSON type characters."""
    text = values.cast(pl.String)
    frame = pl.DataFrame({ROW: rows, "_text": text})
    frame = frame.with_columns(pl.col("_text").str.json_decode(_struct_dtype(spec)).alias("_doc"))
    if frame.height != rows.len():  # Polars drops documents it reads as empty
        raise ValueError("row count changed while parsing")
    type_chars = [_first_value_char(f.name).alias(TYPE_PREFIX + f.name) for f in spec.fields if needs_type_check(f)]
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
