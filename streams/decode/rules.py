"""Contract rules as Polars expressions; each row gets the first rule it breaks, or none.

Rules are derived from the JSON Schema files (required fields, JSON types, enums, patterns,
lengths and bounds) plus the contract's cross-field rules, and evaluated over whole batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

import polars as pl

from streams.contract.events import EVENT_TYPES, SCHEMA_VERSION, EventSpec, FieldSpec
from streams.contract.reference import department_codes
from streams.decode.parse import TYPE_PREFIX, needs_type_check
from streams.decode.reasons import RejectReason as R

TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
EARLIEST_EVENT = datetime.fromisoformat("2000-01-01T00:00:00+00:00")
MAX_FUTURE = timedelta(hours=24)
SEP = "\x1f"
NOW = "_now"  # column holding the consumer's clock for the batch

# The first character of a JSON value, by the JSON type the contract expects.
_TYPE_START = {"string": r'^"$', "integer": r"^[-0-9]$", "number": r"^[-0-9]$", "boolean": r"^[tf]$"}


@dataclass(frozen=True)
class Rule:
    reason: R
    broken: pl.Expr  # true where the row breaks the rule
    detail: pl.Expr  # a string expression explaining it


def _shown(name: str) -> pl.Expr:
    """The field's text for an error message, shortened so hostile values stay readable."""
    return pl.col(name).str.slice(0, 60).fill_null("null")


def number(name: str) -> pl.Expr:
    return pl.col(name).cast(pl.Float64, strict=False)


def occurred_at() -> pl.Expr:
    text = pl.col("occurred_at").str.replace(r"[Zz]$", "+00:00").str.replace("t", "T", literal=True)
    return text.str.to_datetime(format="%Y-%m-%dT%H:%M:%S%.f%:z", strict=False, time_unit="us", time_zone="UTC")


def _rule(reason: R, broken: pl.Expr, detail: pl.Expr | str) -> Rule:
    detail_expr = pl.lit(detail) if isinstance(detail, str) else detail
    return Rule(reason, broken.fill_null(False), detail_expr)


def _missing(field: FieldSpec) -> list[Rule]:
    if not field.required:
        return []
    return [_rule(R.MISSING_FIELD, pl.col(field.name).is_null(), f"missing required field {field.name}")]


def _wrong_type(field: FieldSpec) -> list[Rule]:
    present = pl.col(field.name).is_not_null()
    rules = []
    if needs_type_check(field):
        starts_right = pl.col(TYPE_PREFIX + field.name).str.contains(_TYPE_START[field.json_type])
        rules.append(_rule(R.WRONG_TYPE, present & ~starts_right, f"field {field.name} must be a JSON {field.json_type}"))
    if field.json_type == "integer":
        value = number(field.name)
        rules.append(
            _rule(
                R.WRONG_TYPE,
                present & (value.is_null() | (value != value.floor())),
                pl.format("field {} must be an integer, got {}", pl.lit(field.name), _shown(field.name)),
            )
        )
    return rules


def _value(field: FieldSpec) -> list[Rule]:
    col, name = pl.col(field.name), field.name
    rules: list[Rule] = []
    if field.enum:
        allowed = ", ".join(field.enum)
        rules.append(
            _rule(
                R.INVALID_VALUE,
                ~col.is_in(list(field.enum)),
                pl.format("field {} is {}; expected one of: {}", pl.lit(name), _shown(name), pl.lit(allowed)),
            )
        )
    if field.pattern and name != "office_code":
        rules.append(
            _rule(
                R.INVALID_VALUE,
                ~col.str.contains(field.pattern),
                pl.format("field {} is {}; expected to match {}", pl.lit(name), _shown(name), pl.lit(field.pattern)),
            )
        )
    if field.min_length is not None or field.max_length is not None:
        length = col.str.len_chars()
        lo, hi = field.min_length or 0, field.max_length or 10**9
        rules.append(
            _rule(
                R.INVALID_VALUE,
                (length < lo) | (length > hi),
                pl.format("field {} must have {} to {} characters, got {}", pl.lit(name), pl.lit(lo), pl.lit(hi), length),
            )
        )
    value = number(name)
    bounds = [
        (field.minimum, value < (field.minimum or 0), "at least"),
        (field.exclusive_minimum, value <= (field.exclusive_minimum or 0), "greater than"),
        (field.exclusive_maximum, value >= (field.exclusive_maximum or 0), "below"),
    ]
    for bound, broken, words in bounds:
        if bound is not None:
            rules.append(
                _rule(
                    R.OUT_OF_RANGE,
                    broken | value.is_nan() | value.is_infinite(),
                    pl.format("field {} is {}; it must be {} {}", pl.lit(name), _shown(name), pl.lit(words), pl.lit(f"{bound:.15g}")),
                )
            )
    return rules


def _envelope(spec: EventSpec) -> list[Rule]:
    version = number("schema_version")
    version_type = pl.col(TYPE_PREFIX + "schema_version")
    return [
        _rule(R.NOT_AN_OBJECT, pl.col("_null_doc"), "value is JSON null, not an object"),
        _rule(R.MISSING_FIELD, pl.col("schema_version").is_null(), "missing required field schema_version"),
        _rule(
            R.UNSUPPORTED_SCHEMA_VERSION,
            ~version_type.str.contains(r"^[-0-9]$") | (version != SCHEMA_VERSION),
            pl.format(
                "schema_version {} is not supported; this consumer reads schema_version {}",
                _shown("schema_version"),
                pl.lit(SCHEMA_VERSION),
            ),
        ),
        _rule(R.MISSING_FIELD, pl.col("event_type").is_null(), "missing required field event_type"),
        _rule(
            R.WRONG_TOPIC,
            pl.col("event_type") != spec.event_type,
            pl.format(
                "event_type {} does not belong on topic {} (expected {})", _shown("event_type"), pl.lit(spec.topic), pl.lit(spec.event_type)
            ),
        ),
    ]


def _semantic(spec: EventSpec) -> list[Rule]:
    ts = occurred_at()
    dept = pl.col("department_code")
    latest = pl.col(NOW) + MAX_FUTURE
    rules = [
        _rule(
            R.INVALID_TIMESTAMP,
            ~pl.col("occurred_at").str.contains(TIMESTAMP_PATTERN) | ts.is_null(),
            pl.format("occurred_at {} is not an RFC 3339 timestamp with an offset (e.g. 2021-03-01T09:30:00+07:00)", _shown("occurred_at")),
        ),
        _rule(R.TIMESTAMP_OUT_OF_RANGE, ts < EARLIEST_EVENT, pl.format("occurred_at {} is before 2000-01-01", _shown("occurred_at"))),
        _rule(
            R.TIMESTAMP_OUT_OF_RANGE,
            ts > latest,
            pl.format(
                "occurred_at {} is more than 24 hours after the consumer's clock ({})",
                _shown("occurred_at"),
                pl.col(NOW).dt.strftime("%Y-%m-%dT%H:%M:%SZ"),
            ),
        ),
        _rule(
            R.UNKNOWN_DEPARTMENT,
            ~dept.is_in(sorted(department_codes())),
            pl.format("department_code {} is not one of the 35 departments in reference/departments.csv", _shown("department_code")),
        ),
        _rule(
            R.INVALID_VALUE,
            pl.col("office_code").is_not_null()
            & ((pl.col("office_code").str.len_chars() != 4) | ~pl.col("office_code").str.starts_with(dept)),
            pl.format(
                "office_code {} must be 4 characters starting with department_code {}", _shown("office_code"), _shown("department_code")
            ),
        ),
    ]
    if spec.event_type == "declaration":
        rules.append(
            _rule(
                R.MISSING_FIELD,
                pl.col("channel").is_null() & (pl.col("status") != "cancelled"),
                "missing field channel: it is required unless status is cancelled",
            )
        )
    if spec.event_type == "seizure":
        rules.append(
            _rule(
                R.INCONSISTENT_FIELDS,
                pl.col("drug_quantity").is_null() != pl.col("drug_unit").is_null(),
                "drug_quantity and drug_unit must be given together",
            )
        )
    return rules


def contract_rules(spec: EventSpec) -> list[Rule]:
    """Every rule of the event type, in the order their reasons are reported.

    The consumer's clock is read from the column NOW, so the rules are built once per event type.
    """
    body = [f for f in spec.fields if f.name not in ("schema_version", "event_type")]
    rules = _envelope(spec)
    rules += [r for f in body for r in _missing(f)]
    rules += [r for f in body for r in _wrong_type(f)]
    rules += [r for f in body for r in _value(f)]
    return rules + _semantic(spec)


@cache
def broken_rule(event_type: str) -> pl.Expr:
    """'reason<SEP>detail' of the first rule of the event type a row breaks, or null."""
    return first_broken(contract_rules(EVENT_TYPES[event_type]))


def first_broken(rules: list[Rule]) -> pl.Expr:
    """'reason<SEP>detail' of the first rule a row breaks, or null when it breaks none."""
    return pl.coalesce([pl.when(r.broken).then(pl.concat_str([pl.lit(r.reason.value + SEP), r.detail.fill_null("")])) for r in rules])
