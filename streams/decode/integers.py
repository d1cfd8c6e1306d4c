"""Integer fields read exactly, never through a float: 1000, 1000.0 and 1e3 are the same integer,
and every integer inside the signed 64-bit range is stored as written (the contract's "Integers
and strings"). A literal of digits is cast to Int64 in bulk; one with a fraction or an exponent
(rare) is read in Python, exactly and cheaply whatever its exponent.
"""

from __future__ import annotations

import re

import polars as pl

from streams.contract.events import EventSpec
from streams.decode.columns import INT_KIND, INT_VALUE, ROW, TYPE_PREFIX

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
_NUMBER = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?(?:[eE]([+-]?[0-9]+))?")


def _integer_fields(spec: EventSpec) -> list[str]:
    return [f.name for f in spec.fields if f.json_type == "integer"]


def integer_literal(text: str) -> tuple[str, int | None]:
    """What a JSON number's literal is as an integer: ("ok", value), ("range", None) outside the
    signed 64-bit range, or ("fraction", None). Exact, and cheap whatever the exponent."""
    match = _NUMBER.fullmatch(text)
    if match is None:
        return "fraction", None
    sign, whole, frac, exp = match.groups()
    frac = frac or ""
    digits = (whole + frac).lstrip("0")
    if not digits:
        return "ok", 0
    if exp is not None and len(exp.lstrip("+-").lstrip("0")) > 12:  # beyond any integer's digits either way (1e000…0 is 1)
        return ("fraction", None) if exp.startswith("-") else ("range", None)
    significant = digits.rstrip("0")
    shift = int(exp or 0) - len(frac) + (len(digits) - len(significant))  # value = significant x 10^shift
    if shift < 0:
        return "fraction", None
    if len(significant) + shift > 19:
        return "range", None
    value = int(significant) * 10**shift * (-1 if sign else 1)
    return ("ok", value) if INT64_MIN <= value <= INT64_MAX else ("range", None)


def with_integers(frame: pl.DataFrame, spec: EventSpec) -> pl.DataFrame:
    """Add each integer field's exact value and kind: digit literals in bulk, the others in Python."""
    exprs = []
    for name in _integer_fields(spec):
        text, is_number = pl.col(name), pl.col(TYPE_PREFIX + name).str.contains(r"^[-0-9]$")
        simple = text.str.contains(r"^-?[0-9]{1,19}$")
        value = text.cast(pl.Int64, strict=False)
        kind = pl.when(~is_number | text.is_null()).then(None).when(simple & value.is_not_null()).then(pl.lit("ok"))
        exprs += [pl.when(is_number & simple).then(value).alias(INT_VALUE + name), kind.alias(INT_KIND + name)]
    frame = frame.with_columns(exprs)
    for name in _integer_fields(spec):
        odd = frame.filter(pl.col(TYPE_PREFIX + name).str.contains(r"^[-0-9]$") & pl.col(INT_KIND + name).is_null())
        if odd.height:  # 1e3, 1000.0, twenty digits or more: rare
            read = [(row, *integer_literal(text)) for row, text in odd.select(ROW, name).iter_rows()]
            exact = pl.DataFrame(read, schema={ROW: pl.UInt32, "_k": pl.String, "_v": pl.Int64}, orient="row")
            frame = frame.join(exact, on=ROW, how="left").with_columns(
                pl.coalesce(INT_KIND + name, "_k").alias(INT_KIND + name), pl.coalesce(INT_VALUE + name, "_v").alias(INT_VALUE + name)
            )
            frame = frame.drop("_k", "_v")
    return frame
