"""Bytes -> one text column per contract field, with each field's JSON type, over whole batches.

Two paths give the same columns: for each field its text (a string's value, a number's literal,
`true`/`false`) and the first character of its JSON value (`"` string, `-` or a digit number,
`t`/`f` boolean, `n` null, `{` object, `[` array); for integer fields also the exact value
(`_int_`, Int64) and what the literal is (`_intkind_`: ok, range or fraction).

- **Plain messages**, the flat objects every producer of the contract sends (no backslash, no
  `{` or `[` after the opening brace), are parsed by Polars over the whole batch. Without escapes
  and nesting, the first `"name"` in the raw text followed by `:` is the top-level member of that
  name, so its JSON type and its literal are read from the raw text after it, in bulk. A name
  found first where it is not a member name (a string value spelling it), or a message with more
  members than the names found (an unknown member, or a name twice), is looked at more closely:
  the member names are listed in bulk for those rows, and any ambiguity sends the row to the
  exact path. Polars refuses control characters in strings, leading zeros, NaN and the like.
- **Every other message**, and any plain one Polars refuses (an integer of 400 digits, say), is
  parsed by Python's `json` one message at a time, exactly: names compared after unescaping, the
  same name twice or an unpaired UTF-16 surrogate rejected (I-JSON, as the contract requires),
  numbers kept as their literal text. Malformed messages take this path and get their reason.

Integers are never read through a float (integers.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

import polars as pl

from streams.contract.events import EventSpec
from streams.decode.columns import NULL_DOC, ROW, TYPE_PREFIX
from streams.decode.integers import with_integers
from streams.decode.reasons import RejectReason

_WS = "[ \t\r\n]*"  # JSON's whitespace, as a regular expression
_SURROGATE = re.compile("[\ud800-\udfff]")
# A number a double cannot hold (1e400, 400 digits): Polars refuses the whole column for it, and
# such a text, even if only inside a string, is parsed exactly instead.
_BEYOND_A_DOUBLE = r"[0-9]{300}|[0-9.][eE][+-]?[0-9]{3}"
_FEW = 32  # a refused group of plain rows this small is parsed exactly, not halved further


@dataclass(frozen=True)
class ParseFailure:
    row: int
    reason: RejectReason
    detail: str


def _columns(spec: EventSpec) -> dict[str, pl.DataType]:
    """The parsed frame's schema, whichever path a row took."""
    schema: dict[str, pl.DataType] = {ROW: pl.UInt32()}
    schema |= {f.name: pl.String() for f in spec.fields}
    schema |= {TYPE_PREFIX + f.name: pl.String() for f in spec.fields}
    return schema | {NULL_DOC: pl.Boolean()}


# -- the plain path: Polars over whole batches --------------------------------------------------


def _is_plain(text: pl.Expr) -> pl.Expr:
    """Texts whose raw form says everything: no escapes, no nested object or array, no number a double cannot hold."""
    return (
        ~text.str.contains("\\", literal=True)
        & ~text.str.contains("[", literal=True)
        & (text.str.count_matches("{", literal=True) == 1)
        & ~text.str.contains(_BEYOND_A_DOUBLE)
    ).fill_null(False)


def _after(name: str) -> pl.Expr:
    """What follows the first `"name"` in the raw text: the next non-blank character (`_next`, `:` for
    a member), then the start of the value after it (`_value`: a number's whole literal, or one
    character). A regular expression over the whole text: nothing is counted in bytes or characters,
    so text before the name (non-ASCII, or blanks of any length) cannot move what is read."""
    number = r"-?[0-9][0-9.eE+\-]*"
    pattern = f'"{re.escape(name)}"{_WS}([\\s\\S]){_WS}({number}|[\\s\\S])'
    return pl.col("_text").str.extract_groups(pattern).struct.rename_fields(["_next", "_value"])


def _plain_columns(spec: EventSpec) -> tuple[list[pl.Expr], list[pl.Expr], list[pl.Expr]]:
    """Read from the raw text: (1) what follows each field's name, and how many members there are;
    (2) from those, each field's type character and an integer's literal; and the checks `_doubt`
    (rows the raw text cannot vouch for) and `_extra` (rows with members beyond the names found)."""
    first = [_after(f.name).alias("_after_" + f.name) for f in spec.fields]
    first.append(pl.col("_text").str.count_matches(f'"{_WS}:').alias("_members"))
    exprs, doubtful, found = [], [], []
    for f in spec.fields:
        after = pl.col("_after_" + f.name)
        following, value = after.struct.field("_next"), after.struct.field("_value")
        found.append(following.is_not_null().cast(pl.Int32))
        doubtful.append(following.is_not_null() & (following != ":"))  # the name seen first as a string value
        exprs.append(value.str.slice(0, 1).alias(TYPE_PREFIX + f.name))
        # A number's text is its literal as written, as on the exact path: Polars' own text of 1e3 or
        # 55e-1 went through a float (an integer's exact value, or the value a detail quotes).
        literal = pl.when(value.str.contains(r"^-?[0-9]")).then(value)
        exprs.append(pl.coalesce(literal, pl.col(f.name)).alias(f.name))
    checks = [
        pl.any_horizontal(doubtful).fill_null(False).alias("_doubt"),
        (pl.col("_members") != pl.sum_horizontal(found)).alias("_extra"),
    ]
    return first, exprs, checks


def _names_twice(text: pl.Series) -> list[str | None]:
    """For plain texts: the first member name given twice in each, or None (the names listed in
    bulk; Python looks only at the texts that repeat one)."""
    # Every string token in order, each with the colon that makes it a member name: a match never
    # starts at a closing quote (a name such as ":a" after a string value was misread from one).
    tokens = text.str.extract_all(r'"[^"]*"[ \t\r\n]*:?')
    names = tokens.list.eval(pl.element().filter(pl.element().str.ends_with(":")).str.extract(r'^"([^"]*)"', 1))
    repeats = (names.list.n_unique() != names.list.len()).fill_null(False)
    twice: list[str | None] = [None] * text.len()
    for i in repeats.arg_true().to_list():
        seen: set[str] = set()
        for name in names[i]:
            if name in seen:
                twice[i] = name
                break
            seen.add(name)
    return twice


def _parse_plain(rows: pl.Series, text: pl.Series, spec: EventSpec) -> pl.DataFrame:
    """Parse every plain text or raise; adds `_doubt` (rows for the exact path) and `_twice` (a name given twice)."""
    frame = pl.DataFrame({ROW: rows, "_text": text})
    doc = pl.col("_text").str.json_decode(pl.Struct({name: pl.String for name in spec.field_names}))
    frame = frame.with_columns(doc.alias("_doc"))
    if frame.height != rows.len():  # Polars drops documents it reads as empty
        raise ValueError("row count changed while parsing")
    first, columns, checks = _plain_columns(spec)
    frame = frame.with_columns(pl.col("_doc").is_null().alias(NULL_DOC), *first).unnest("_doc").with_columns([*columns, *checks])
    twice = pl.Series("_twice", [None] * frame.height, dtype=pl.String)
    extra = frame["_extra"]
    if extra.any():  # unknown members, or a name twice
        found = _names_twice(frame.filter(extra)["_text"])
        twice = twice.scatter(extra.arg_true(), pl.Series(found, dtype=pl.String))
    return frame.with_columns(twice)


# -- the exact path: Python's json, one message at a time ---------------------------------------


def _shown(name: str) -> str:
    """A member name for a detail: escaped like JSON (a lone surrogate cannot be stored as text), at most 60 characters."""
    return json.dumps(name[:60])[1:-1]


class _Number(str):
    """A JSON number, kept as its literal text."""


class _DuplicateName(ValueError):
    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.name = name


def _unique_members(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    members: dict[str, Any] = {}
    for name, value in pairs:
        if name in members:
            raise _DuplicateName(name)
        members[name] = value
    return members


def _reject_constant(token: str) -> float:
    raise ValueError(f"{token} is not valid JSON")


def _lone_surrogate(doc: Any) -> str | None:
    """Where an unpaired UTF-16 surrogate sits in a parsed value (Python's json leaves one as is)."""
    stack: list[tuple[Any, str | None]] = [(doc, None)]  # (value, the top-level member it is in)
    while stack:
        item, member = stack.pop()
        where = "the value" if member is None else f"member {_shown(member)}"
        if isinstance(item, str) and not isinstance(item, _Number):
            if _SURROGATE.search(item):
                return where
        elif isinstance(item, dict):
            for name, value in item.items():
                if _SURROGATE.search(name):
                    return "a member name" if member is None else f"a member name in member {_shown(member)}"
                stack.append((value, name if member is None else member))
        elif isinstance(item, list):
            stack.extend((element, member) for element in item)
    return None


_TYPE_CHARS = {dict: "{", list: "[", str: '"', type(None): "n"}


def _field(value: Any) -> tuple[str | None, str]:
    """(text, type character) of a present member's value."""
    if isinstance(value, bool):
        return ("true", "t") if value else ("false", "f")
    if isinstance(value, _Number):
        return str(value), value[0]
    if isinstance(value, str):
        return value, '"'
    if value is None:
        return None, "n"
    return json.dumps(value, ensure_ascii=False), _TYPE_CHARS[type(value)]


def _json_type_name(value: Any) -> str:
    if isinstance(value, _Number):
        return "number"
    names = {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}
    return names.get(type(value), type(value).__name__)


def parse_exact(row: int, raw: bytes, spec: EventSpec) -> dict[str, Any] | ParseFailure:
    """One message through Python's json: its row of the parsed frame, or why it has none."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            raw.decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            return ParseFailure(row, RejectReason.INVALID_UTF8, f"value is not UTF-8: {exc.reason} at byte {exc.start}")
        detail = f"the value holds a UTF-16 surrogate written as UTF-8 bytes at byte {exc.start}"
        return ParseFailure(row, RejectReason.INVALID_JSON, detail)
    try:
        doc = json.loads(text, object_pairs_hook=_unique_members, parse_int=_Number, parse_float=_Number, parse_constant=_reject_constant)
    except _DuplicateName as exc:
        return ParseFailure(row, RejectReason.INVALID_JSON, f"member {_shown(exc.name)} appears more than once in an object")
    except RecursionError:
        return ParseFailure(row, RejectReason.INVALID_JSON, "value is nested too deeply to parse")
    except ValueError as exc:
        return ParseFailure(row, RejectReason.INVALID_JSON, f"value is not valid JSON: {exc}")
    where = _lone_surrogate(doc)
    if where is not None:
        return ParseFailure(row, RejectReason.INVALID_JSON, f"{where} holds an unpaired UTF-16 surrogate")
    if not isinstance(doc, dict):
        return ParseFailure(row, RejectReason.NOT_AN_OBJECT, f"value is JSON {_json_type_name(doc)}, not an object")
    parsed: dict[str, Any] = {ROW: row, NULL_DOC: False}
    for f in spec.fields:
        if f.name in doc:
            parsed[f.name], parsed[TYPE_PREFIX + f.name] = _field(doc[f.name])
    return parsed


# -- both paths together --------------------------------------------------------------------------


def _split_plain(rows: pl.Series, text: pl.Series, spec: EventSpec) -> tuple[pl.DataFrame, list[int]]:
    """Polars' parse of the plain rows, and the rows it refused (to be parsed exactly)."""
    try:
        return _parse_plain(rows, text, spec), []
    except Exception:
        if rows.len() <= _FEW:  # halving further would cost more than parsing these exactly
            return pl.DataFrame(), [int(r) for r in rows]
    half = rows.len() // 2
    left, left_refused = _split_plain(rows[:half], text[:half], spec)
    right, right_refused = _split_plain(rows[half:], text[half:], spec)
    parts = [p for p in (left, right) if p.height]
    return (pl.concat(parts, how="vertical", rechunk=True) if parts else pl.DataFrame()), left_refused + right_refused


def _texts(values: pl.Series) -> pl.Series:
    """The values as text, null where not UTF-8 (Polars refuses a whole column for one bad value,
    so the column is split in halves until the bad ones are isolated)."""
    try:
        return values.cast(pl.String)
    except pl.exceptions.PolarsError:
        if values.len() == 1:
            return pl.Series(values.name, [None], dtype=pl.String)
    half = values.len() // 2
    # One chunk again: without it Polars 2.1 panicked (an index past the end) evaluating the rules
    # on a batch that had needed this split (found by tests/unit/test_decode.py's property test).
    return pl.concat([_texts(values[:half]), _texts(values[half:])], rechunk=True)


def parse_values(rows: pl.Series, values: pl.Series, spec: EventSpec, exact: bool = False) -> tuple[pl.DataFrame, list[ParseFailure]]:
    """Parse a column of raw values: the parsed rows (fields, types, exact integers) and the rows with no parse.

    exact=True parses every message on the exact path (the reference the fast path is tested against)."""
    schema = _columns(spec)
    if rows.len() == 0:
        return with_integers(pl.DataFrame(schema=schema), spec), []
    frame = pl.DataFrame({ROW: rows, "_raw": values, "_text": _texts(values)})
    frame = frame.with_columns((pl.lit(False) if exact else _is_plain(pl.col("_text"))).alias("_plain"))
    plain = frame.filter("_plain")
    parsed, refused = _split_plain(plain[ROW], plain["_text"], spec)
    failures: list[ParseFailure] = []
    parts = []
    if parsed.height:
        twice = parsed.filter(pl.col("_twice").is_not_null())
        failures += [
            ParseFailure(row, RejectReason.INVALID_JSON, f"member {_shown(name)} appears more than once in an object")
            for row, name in twice.select(ROW, "_twice").iter_rows()
        ]
        doubtful = parsed.filter(pl.col("_doubt") & pl.col("_twice").is_null())[ROW].to_list()
        refused += doubtful  # a name seen first as a value, or a literal too long to read from the slice
        clear = parsed.filter(~pl.col("_doubt") & pl.col("_twice").is_null())
        parts.append(clear.select([pl.col(c).cast(t) for c, t in schema.items()]))
    exact_rows = frame.filter(~pl.col("_plain") | pl.col(ROW).is_in(refused)).select(ROW, "_raw")
    read_exactly: list[dict[str, Any]] = []
    for row, raw in exact_rows.iter_rows():  # the messages plain text cannot vouch for: few in a real stream
        result = parse_exact(row, raw, spec)
        if isinstance(result, ParseFailure):
            failures.append(result)
        else:
            read_exactly.append(result)
    if read_exactly:
        parts.append(pl.DataFrame(read_exactly, schema=schema))
    merged = pl.concat(parts, how="vertical", rechunk=True).sort(ROW) if parts else pl.DataFrame(schema=schema)
    return with_integers(merged, spec), sorted(failures, key=lambda f: f.row)
