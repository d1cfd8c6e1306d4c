"""The oracle the decoder is tested against: it shares none of the decoder's code.

It decides each message with Python's `json` (duplicate names refused, numbers kept exact as
Decimal), a JSON Schema validator (`jsonschema`) on the project's own schema files, and the
contract's remaining rules (shared/contract/EVENTS.md) written out plainly.
"""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema

NOW = datetime(2021, 6, 15, 3, 0, tzinfo=UTC)
VIETNAM = timezone(timedelta(hours=7))
ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = {t: json.loads((ROOT / f"streams/contract/schemas/{t}.v1.json").read_text()) for t in ("declaration", "revenue", "seizure")}
DEPARTMENTS = [r["code"] for r in csv.DictReader((ROOT / "streams/contract/reference/departments.csv").open(encoding="utf-8"))]
INT64 = (-(2**63), 2**63 - 1)
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})")
EARLIEST = datetime(2000, 1, 1, tzinfo=VIETNAM)  # "not before 2000-01-01", a Vietnam-time date


def _is_integer(_checker: Any, value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool) and value == int(value)


def _is_number(_checker: Any, value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


_types = jsonschema.Draft202012Validator.TYPE_CHECKER.redefine_many({"integer": _is_integer, "number": _is_number})
Validator = jsonschema.validators.extend(jsonschema.Draft202012Validator, type_checker=_types)


class Duplicate(ValueError):
    pass


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    if len({k for k, _ in pairs}) != len(pairs):
        raise Duplicate
    return dict(pairs)


def _surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any(0xD800 <= ord(c) <= 0xDFFF for c in value)
    if isinstance(value, dict):
        return any(_surrogate(k) or _surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_surrogate(v) for v in value)
    return False


def _reason_of(error: jsonschema.ValidationError) -> str:
    field = error.path[0] if error.path else None
    if error.validator == "required":
        return "missing_field"
    if error.validator == "dependentRequired":
        return "inconsistent_fields"
    if field == "schema_version":
        return "unsupported_schema_version"
    if field == "event_type":
        return "wrong_topic"
    if error.validator == "type":
        return "wrong_type"
    if error.validator in ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum"):
        return "out_of_range"
    return "invalid_value"  # enum, pattern, lengths


def oracle(event_type: str, raw: bytes) -> tuple[set[str], dict[str, Any] | None]:
    """(reasons the message breaks, empty when valid; the values to store when valid)."""
    if len(raw) > 64 * 1024:
        return {"message_too_large"}, None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"invalid_utf8"}, None
    try:
        doc = json.loads(text, object_pairs_hook=_pairs, parse_float=Decimal, parse_int=Decimal, parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return {"invalid_json"}, None  # Duplicate is a ValueError too
    if _surrogate(doc):
        return {"invalid_json"}, None
    if not isinstance(doc, dict):
        return {"not_an_object"}, None
    schema = SCHEMAS[event_type]
    present = {k: v for k, v in doc.items() if v is not None}  # null means absent
    reasons = {_reason_of(e) for e in Validator(schema).iter_errors(present)}
    for name, spec in schema["properties"].items():
        value = present.get(name)
        kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
        if value is None:
            continue
        if "integer" in kinds and _is_integer(None, value) and not INT64[0] <= int(value) <= INT64[1]:
            reasons.add("out_of_range")
        if "number" in kinds and _is_number(None, value) and abs(float(value)) == float("inf"):
            reasons.add("out_of_range")
    when = present.get("occurred_at")
    if isinstance(when, str):
        parsed = _timestamp(when)
        if parsed is None:
            reasons.add("invalid_timestamp")
        elif parsed < EARLIEST or parsed > NOW + timedelta(hours=24):
            reasons.add("timestamp_out_of_range")
    dept = present.get("department_code")
    if isinstance(dept, str) and dept not in DEPARTMENTS:
        reasons.add("unknown_department")
    office = present.get("office_code")
    if isinstance(office, str) and isinstance(dept, str) and (len(office) != 4 or not office.startswith(dept)):
        reasons.add("invalid_value")
    if event_type == "declaration" and "channel" not in present and present.get("status") != "cancelled":
        reasons.add("missing_field")
    if reasons:
        return reasons, None
    return set(), _stored(schema, present)


def _no_constant(token: str) -> None:
    raise ValueError(token)


def _timestamp(text: str) -> datetime | None:
    if not RFC3339.fullmatch(text):
        return None
    try:
        value = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
    except ValueError:
        return None
    return value.astimezone(UTC)


def _stored(schema: dict[str, Any], present: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, spec in schema["properties"].items():
        value = present.get(name)
        kinds = spec["type"] if isinstance(spec["type"], list) else [spec["type"]]
        if value is None:
            out[name] = None
        elif name == "occurred_at":
            out[name] = _timestamp(value)
        elif "integer" in kinds:
            out[name] = int(value)
        elif "number" in kinds:
            out[name] = float(value)
        else:
            out[name] = value
    return out
