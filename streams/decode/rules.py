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
from streams.decode.columns import INT_KIND, INT_VALUE, NULL_DOC, TYPE_PREFIX
from streams.decode.reasons import RejectReason as R

TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$"
EARLIEST_EVENT = datetime.fromisoformat("2000-01-01T00:00:00+07:00")  # the contract's dates are Vietnam dates
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


@dataclass(frozen=True)
class Integer:
    """An integer field as the parser read it, exactly (integers.py): 1000, 1000.0 and 1e3 alike."""

    integral: pl.Expr  # the literal is a number with an integral value
    fits: pl.Expr  # ... and that value is inside the signed 64-bit range
    value: pl.Expr  # the value as Int64 where it fits, else null


def integer(name: str) -> Integer:
    kind = pl.col(INT_KIND + name)
    return Integer(kind.is_in(["ok", "range"]).fill_null(False), (kind == "ok").fill_null(False), pl.col(INT_VALUE + name))


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
    starts_right = pl.col(TYPE_PREFIX + field.name).str.contains(_TYPE_START[field.json_type])
    rules.append(_rule(R.WRONG_TYPE, present & ~starts_right, f"field {field.name} must be a JSON {field.json_type}"))
    if field.json_type == "integer":
        exact = integer(field.name)
        rules.append(
            _rule(
                R.WRONG_TYPE,
                present & ~exact.integral,
                pl.format("field {} must be an integer, got {}", pl.lit(field.name), _shown(field.name)),
            )
        )
        rules.append(_outside_int64(field.name, present & ~exact.fits))
    return rules


def _outside_int64(name: str, broken: pl.Expr) -> Rule:
    return _rule(
        R.OUT_OF_RANGE,
        broken,
        pl.format("field {} is {}; integers must lie in the signed 64-bit range (-2^63 to 2^63-1)", pl.lit(name), _shown(name)),
    )


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
    value = integer(name).value if field.json_type == "integer" else number(name)  # integers compared exactly
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
                    broken if field.json_type == "integer" else broken | value.is_nan() | value.is_infinite(),
                    pl.format("field {} is {}; it must be {} {}", pl.lit(name), _shown(name), pl.lit(words), pl.lit(f"{bound:.15g}")),
                )
            )
    return rules


def _envelope(spec: EventSpec) -> list[Rule]:
    version = integer("schema_version")
    is_number = pl.col(TYPE_PREFIX + "schema_version").str.contains(r"^[-0-9]$")
    return [
        _rule(R.NOT_AN_OBJECT, pl.col(NULL_DOC), "value is JSON null, not an object"),
        _rule(R.MISSING_FIELD, pl.col("schema_version").is_null(), "missing required field schema_version"),
        _outside_int64("schema_version", is_number & version.integral & ~version.fits),
        _rule(
            R.UNSUPPORTED_SCHEMA_VERSION,
            ~is_number | (version.value != SCHEMA_VERSION).fill_null(True),
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
