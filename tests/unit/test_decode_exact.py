"""The contract's "Integers and strings": I-JSON only, names compared unescaped, integers exact."""

from __future__ import annotations

import pytest

from streams.contract import EVENT_TYPES
from streams.decode import decode_batch
from tests.support.factories import NOW, encode, raw_batch, revenue, seizure

REV = EVENT_TYPES["revenue"]
SEIZ = EVENT_TYPES["seizure"]


def _body(event: dict) -> str:
    """The event's members as JSON text without the braces, to splice hand-written members in."""
    return encode(event).decode()[1:-1]


def decode_one(spec, value: bytes):  # type: ignore[no-untyped-def]
    """(stored row or None, (reason, detail) or None) of one message among two good ones."""
    good = seizure() if spec is SEIZ else revenue()
    batch = decode_batch(spec, raw_batch(spec.topic, [good, value, good]), NOW)
    assert batch.accepted.height + batch.rejects.height == 3
    assert sorted(batch.accepted["source_offset"].to_list() + batch.rejects["source_offset"].to_list()) == [0, 1, 2]
    rows = batch.accepted.filter(batch.accepted["source_offset"] == 1)
    rejects = batch.rejects.filter(batch.rejects["source_offset"] == 1)
    if rows.height:
        return rows.row(0, named=True), None
    return None, (rejects["reason"][0], rejects["detail"][0])


def with_goods_value(literal: str) -> bytes:
    event = {k: v for k, v in seizure().items() if k != "goods_value_vnd"}
    return ("{" + _body(event) + ',"goods_value_vnd":' + literal + "}").encode()


@pytest.mark.parametrize(
    ("literal", "stored"),
    [
        ("9223372036854775807", 2**63 - 1),  # the largest Int64, exactly
        ("9007199254740993", 2**53 + 1),  # the first integer a double cannot hold
        ("1234567890123456789", 1234567890123456789),
        ("1000", 1000),
        ("1000.0", 1000),
        ("1e3", 1000),
        ("1E+3", 1000),
        ("1.5e3", 1500),
        ("15000e-1", 1500),
        ("0.0", 0),
        ("-0", 0),
        ("0e999999999999999999999", 0),
        ("922337203685477580.7e1", 2**63 - 1),
        ("92233720368547758070e-1", 2**63 - 1),
        ("9223372036854775807.000", 2**63 - 1),
        ("1e0000000000000", 1),  # an exponent of zeros is 0, however many
        ("1E+00000000000000003", 1000),
        ("15000e-0000000000000001", 1500),
    ],
)
def test_integers_are_stored_exactly(literal: str, stored: int) -> None:
    """Every integer inside the signed 64-bit range is stored as written, however it is spelt."""
    row, rejected = decode_one(SEIZ, with_goods_value(literal))
    assert rejected is None
    assert row is not None and row["goods_value_vnd"] == stored


@pytest.mark.parametrize(
    ("literal", "reason"),
    [
        ("9223372036854775808", "out_of_range"),  # 2^63
        ("18446744073709551616", "out_of_range"),  # 2^64: beyond any 64-bit parser
        ("1" + "0" * 400, "out_of_range"),
        ("1e19", "out_of_range"),
        ("1e400", "out_of_range"),
        ("1e999999999999999999999", "out_of_range"),
        ("-9223372036854775809", "out_of_range"),
        ("-1", "out_of_range"),  # inside Int64, below the field's own minimum of 0
        ("1.5", "wrong_type"),
        ("12.5e0", "wrong_type"),
        ("1e-1", "wrong_type"),
        ("9223372036854775807.5", "wrong_type"),
    ],
)
def test_integers_outside_int64_or_not_integral_are_rejected(literal: str, reason: str) -> None:
    """Outside -2^63..2^63-1 is out_of_range, before the field's bounds; a fraction is a wrong type."""
    row, rejected = decode_one(SEIZ, with_goods_value(literal))
    assert row is None and rejected is not None
    assert rejected[0] == reason
    if literal.startswith(("9223372036854775808", "1e19")):
        assert "signed 64-bit range" in rejected[1]


def test_the_largest_int64_does_not_stop_the_rest_of_the_batch() -> None:
    """A value of 2^64 among good events: it alone is rejected and the others are stored."""
    values = [seizure(case_id=f"C{i}", goods_value_vnd=i) for i in range(6)]
    values[3] = with_goods_value("18446744073709551616")  # type: ignore[call-overload]
    batch = decode_batch(SEIZ, raw_batch(SEIZ.topic, values), NOW)
    assert batch.rejects["reason"].to_list() == ["out_of_range"]
    assert batch.accepted["goods_value_vnd"].to_list() == [0, 1, 2, 4, 5]


def test_schema_version_is_an_integer_however_spelt() -> None:
    """schema_version 1.0 and 1e0 are version 1; 2^64 is out of range; 1.5 is not a version."""
    body = _body({k: v for k, v in revenue().items() if k != "schema_version"})
    outcomes = {}
    for literal in ("1.0", "1e0", "18446744073709551616", "1.5", "2"):
        row, rejected = decode_one(REV, ("{" + body + ',"schema_version":' + literal + "}").encode())
        outcomes[literal] = rejected[0] if rejected else row["schema_version"]  # type: ignore[index]
    assert outcomes == {
        "1.0": 1,
        "1e0": 1,
        "18446744073709551616": "out_of_range",
        "1.5": "unsupported_schema_version",
        "2": "unsupported_schema_version",
    }


@pytest.mark.parametrize(
    ("text", "reason", "stored"),
    [
        # A name written with escapes is the same name: its value's type is checked.
        ('"amount\\u005fvnd":"1500"', "wrong_type", None),
        ('"\\u0061mount_vnd":true', "wrong_type", None),
        ('"amount\\u005fvnd":1500', None, 1500),
        # The same name inside a nested object earlier in the text is not the member.
        ('"x":{"amount_vnd":5},"amount_vnd":"5"', "wrong_type", None),
        ('"x":{"amount_vnd":"5"},"amount_vnd":5', None, 5),
        ('"x":["amount_vnd",1],"amount_vnd":7', None, 7),
        # A string value that spells the name is not the member either.
        ('"note":"amount_vnd","amount_vnd":8', None, 8),
    ],
)
def test_types_are_read_from_each_top_level_member(text: str, reason: str | None, stored: int | None) -> None:
    event = {k: v for k, v in revenue().items() if k != "amount_vnd"}
    row, rejected = decode_one(REV, ("{" + _body(event) + "," + text + "}").encode())
    if reason is None:
        assert rejected is None and row is not None and row["amount_vnd"] == stored
    else:
        assert rejected is not None and rejected[0] == reason


def test_booleans_are_read_from_each_top_level_member() -> None:
    """ "yes" or 1 given for a boolean, under an escaped name, is a wrong type, never false."""
    base = {k: v for k, v in seizure().items() if k != "prosecuted"}
    for text in ('"prosecut\\u0065d":"yes"', '"prosecut\\u0065d":1', '"x":{"prosecuted":true},"prosecuted":"yes"'):
        row, rejected = decode_one(SEIZ, ("{" + _body(base) + "," + text + "}").encode())
        assert row is None and rejected is not None and rejected[0] == "wrong_type", text
    row, rejected = decode_one(SEIZ, ("{" + _body(base) + ',"prosecut\\u0065d":true}').encode())
    assert rejected is None and row is not None and row["prosecuted"] is True


@pytest.mark.parametrize(
    ("members", "named"),
    [
        ('"amount_vnd":5,"amount_vnd":6', "amount_vnd"),  # plain text: found in bulk
        ('"amount_vnd":5,"amount\\u005fvnd":5', "amount_vnd"),  # the same name once unescaped
        ('"note":1,"note":1', "note"),  # an unknown member counts too
        ('"x":{"a":1,"a":2}', "a"),  # in a nested object
    ],
)
def test_a_name_twice_in_one_object_is_invalid_json(members: str, named: str) -> None:
    event = {k: v for k, v in revenue().items() if k != "amount_vnd"}
    if "amount" not in members:
        event["amount_vnd"] = 1
    row, rejected = decode_one(REV, ("{" + _body(event) + "," + members + "}").encode())
    assert row is None and rejected is not None
    assert rejected[0] == "invalid_json"
    assert f"member {named} appears more than once" in rejected[1]


@pytest.mark.parametrize(
    "value",
    [
        b'"R\\ud800"',  # a lone high surrogate
        b'"\\udc00R"',  # a lone low surrogate
        b'"R\\ude00\\ud83d"',  # a pair in the wrong order
    ],
)
def test_an_unpaired_surrogate_is_invalid_json(value: bytes) -> None:
    event = {k: v for k, v in revenue().items() if k != "receipt_no"}
    row, rejected = decode_one(REV, b"{" + _body(event).encode() + b',"receipt_no":' + value + b"}")
    assert row is None and rejected is not None
    assert rejected == ("invalid_json", "member receipt_no holds an unpaired UTF-16 surrogate")


def test_surrogates_anywhere_and_encoded_directly_are_invalid_json() -> None:
    body = _body(revenue()).encode()
    _, in_unknown = decode_one(REV, b"{" + body + b',"note":["\\ud800"]}')
    _, in_name = decode_one(REV, b"{" + body + b',"n\\udfff":1}')
    _, direct = decode_one(REV, b"{" + body + b',"note":"\xed\xa0\x80"}')  # a surrogate written as UTF-8 bytes
    assert in_unknown == ("invalid_json", "member note holds an unpaired UTF-16 surrogate")
    assert in_name == ("invalid_json", "a member name holds an unpaired UTF-16 surrogate")
    assert direct is not None and direct[0] == "invalid_json" and "surrogate" in direct[1]


def test_a_paired_surrogate_escape_is_one_character() -> None:
    event = {k: v for k, v in revenue().items() if k != "receipt_no"}
    row, rejected = decode_one(REV, ("{" + _body(event) + ',"receipt_no":"R\\ud83d\\ude00"}').encode())
    assert rejected is None and row is not None and row["receipt_no"] == "R\U0001f600"
