"""The batch decoder: every message is accepted or rejected with a precise reason."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from streams.contract import EVENT_TYPES
from streams.decode import RejectReason, decode_batch
from tests.support.factories import NOW, declaration, encode, raw_batch, revenue, seizure

REV = EVENT_TYPES["revenue"]
DECL = EVENT_TYPES["declaration"]
SEIZ = EVENT_TYPES["seizure"]


def reasons(spec, values, now=NOW):  # type: ignore[no-untyped-def]
    batch = decode_batch(spec, raw_batch(spec.topic, values), now)
    return batch, dict(zip(batch.rejects["source_offset"].to_list(), batch.rejects["reason"].to_list(), strict=True))


def test_valid_events_are_typed_and_keep_their_source() -> None:
    """A valid revenue event becomes one typed row with its topic, partition and offset."""
    batch, rejected = reasons(REV, [revenue(amount_vnd=123_456_789_012)])
    assert rejected == {}
    row = batch.accepted.row(0, named=True)
    assert row["amount_vnd"] == 123_456_789_012
    assert row["occurred_at"] == datetime(2021, 6, 1, 2, 30, tzinfo=UTC)
    assert row["schema_version"] == 1
    assert (row["source_topic"], row["source_partition"], row["source_offset"]) == ("customs.revenue", 0, 0)
    assert batch.accepted.schema["amount_vnd"] == pl.Int64


CASES = [
    (b"\xff\xfe{}", RejectReason.INVALID_UTF8),
    (b"{not json", RejectReason.INVALID_JSON),
    (b"", RejectReason.INVALID_JSON),
    (b'{"amount_vnd": NaN}', RejectReason.INVALID_JSON),
    (b'{"amount_vnd": Infinity}', RejectReason.INVALID_JSON),
    (b"[1, 2]", RejectReason.NOT_AN_OBJECT),
    (b'"text"', RejectReason.NOT_AN_OBJECT),
    (b"null", RejectReason.NOT_AN_OBJECT),
    (b"x" * (64 * 1024 + 1), RejectReason.MESSAGE_TOO_LARGE),
    (revenue(schema_version=2), RejectReason.UNSUPPORTED_SCHEMA_VERSION),
    (revenue(schema_version="1"), RejectReason.UNSUPPORTED_SCHEMA_VERSION),
    (revenue(event_type="seizure"), RejectReason.WRONG_TOPIC),
    ({k: v for k, v in revenue().items() if k != "tax_type"}, RejectReason.MISSING_FIELD),
    ({k: v for k, v in revenue().items() if k != "event_id"}, RejectReason.MISSING_FIELD),
    (revenue(amount_vnd="1500"), RejectReason.WRONG_TYPE),
    (revenue(amount_vnd=1.5), RejectReason.WRONG_TYPE),
    (revenue(amount_vnd=True), RejectReason.WRONG_TYPE),
    (revenue(department_code=3), RejectReason.WRONG_TYPE),
    (revenue(kind=["collection"]), RejectReason.WRONG_TYPE),
    (revenue(amount_vnd=0), RejectReason.OUT_OF_RANGE),
    (revenue(amount_vnd=-5), RejectReason.OUT_OF_RANGE),
    (revenue(amount_vnd=10**15), RejectReason.OUT_OF_RANGE),
    (revenue(kind="payment"), RejectReason.INVALID_VALUE),
    (revenue(tax_type="VAT"), RejectReason.INVALID_VALUE),
    (revenue(enterprise_tax_code="12345"), RejectReason.INVALID_VALUE),
    (revenue(event_id="has space"), RejectReason.INVALID_VALUE),
    (revenue(event_id="x" * 65), RejectReason.INVALID_VALUE),
    (revenue(receipt_no=""), RejectReason.INVALID_VALUE),
    (revenue(declaration_no="12345"), RejectReason.INVALID_VALUE),
    (revenue(occurred_at="2021-06-01T09:30:00"), RejectReason.INVALID_TIMESTAMP),
    (revenue(occurred_at="2021-02-30T09:30:00+07:00"), RejectReason.INVALID_TIMESTAMP),
    (revenue(occurred_at="yesterday"), RejectReason.INVALID_TIMESTAMP),
    (revenue(occurred_at="1999-12-31T23:59:59+07:00"), RejectReason.TIMESTAMP_OUT_OF_RANGE),  # 2000-01-01 is a Vietnam date
    (revenue(occurred_at="1999-12-31T16:59:59Z"), RejectReason.TIMESTAMP_OUT_OF_RANGE),
    (revenue(occurred_at="2021-06-16T03:00:01Z"), RejectReason.TIMESTAMP_OUT_OF_RANGE),
    (revenue(department_code="99"), RejectReason.UNKNOWN_DEPARTMENT),
    (revenue(office_code="01CC"), RejectReason.INVALID_VALUE),
    (revenue(office_code="03C"), RejectReason.INVALID_VALUE),
]


@pytest.mark.parametrize(("value", "reason"), CASES, ids=[f"{i}-{r.value}" for i, (_, r) in enumerate(CASES)])
def test_each_bad_message_gets_its_reason(value: bytes | dict, reason: RejectReason) -> None:
    """Each malformed message is rejected with its specific reason code and a detail."""
    batch, rejected = reasons(REV, [revenue(), value, revenue()])
    assert rejected == {1: reason.value}
    assert batch.accepted["source_offset"].to_list() == [0, 2]
    detail = batch.rejects["detail"][0]
    assert detail and len(detail) < 400


def test_reject_keeps_raw_bytes_and_key() -> None:
    """A rejected message is kept byte for byte with its key and position."""
    raw = b"\xff not utf-8 \x00"
    batch = decode_batch(REV, raw_batch("customs.revenue", [revenue(), raw], partition=4, first_offset=100), NOW)
    row = batch.rejects.row(0, named=True)
    assert row["raw_value"] == raw
    assert row["message_key"] == b"03"
    assert (row["source_partition"], row["source_offset"]) == (4, 101)


def test_details_name_the_field_and_value() -> None:
    """The detail says which field was wrong, with the value and what is expected."""
    batch, _ = reasons(REV, [revenue(amount_vnd=-5), revenue(kind="payment"), {k: v for k, v in revenue().items() if k != "receipt_no"}])
    details = batch.rejects["detail"].to_list()
    assert details[0] == "field amount_vnd is -5; it must be greater than 0"
    assert details[1] == "field kind is payment; expected one of: collection, refund"
    assert details[2] == "missing required field receipt_no"


def test_unknown_fields_are_ignored_and_nulls_are_absent() -> None:
    """Extra fields (even nested) are ignored; null in an optional field means absent."""
    batch, rejected = reasons(REV, [revenue(extra={"nested": [1, {"a": 2}]}, note="x", declaration_no=None, office_code=None)])
    assert rejected == {}
    assert batch.accepted["office_code"].to_list() == [None]
    assert "extra" not in batch.accepted.columns


def test_timestamps_accept_z_fractions_and_offsets() -> None:
    """RFC 3339 with Z, fractional seconds or any offset is read as the same instant."""
    values = [revenue(occurred_at=t) for t in ("2021-06-01T02:30:00Z", "2021-06-01T09:30:00.250+07:00", "2021-05-31T21:30:00-05:00")]
    batch, rejected = reasons(REV, values)
    assert rejected == {}
    assert batch.accepted["occurred_at"].to_list() == [
        datetime(2021, 6, 1, 2, 30, tzinfo=UTC),
        datetime(2021, 6, 1, 2, 30, 0, 250000, tzinfo=UTC),
        datetime(2021, 6, 1, 2, 30, tzinfo=UTC),
    ]


def test_the_earliest_day_is_the_first_of_2000_in_vietnam() -> None:
    """2000-01-01T00:00+07:00 (1999-12-31T17:00Z) is the first accepted instant, whatever the offset written."""
    values = [revenue(occurred_at=t) for t in ("2000-01-01T00:00:00+07:00", "1999-12-31T17:00:00Z", "1999-12-31T23:59:59Z")]
    batch, rejected = reasons(REV, values)
    assert rejected == {}
    assert batch.accepted["occurred_at"].to_list()[:2] == [datetime(1999, 12, 31, 17, tzinfo=UTC)] * 2


def test_declaration_channel_is_required_unless_cancelled() -> None:
    """A registered declaration needs a channel; a cancelled one may omit it."""
    no_channel = {k: v for k, v in declaration().items() if k != "channel"}
    cancelled = {**no_channel, "status": "cancelled"}
    batch, rejected = reasons(DECL, [no_channel, cancelled, declaration(channel="purple"), declaration(type_code="a11")])
    assert rejected == {0: "missing_field", 2: "invalid_value", 3: "invalid_value"}
    assert batch.accepted["status"].to_list() == ["cancelled"]


def test_seizure_drug_quantity_and_unit_go_together() -> None:
    """drug_quantity without drug_unit (or the reverse) is inconsistent; both together are fine."""
    values = [
        seizure(category="drugs", drug_quantity=2.5, drug_unit="kg"),
        seizure(drug_quantity=3),
        seizure(drug_unit="bag"),
        seizure(drug_quantity=0, drug_unit="kg"),
        seizure(drug_unit="ton", drug_quantity=1),
        seizure(prosecuted="yes"),
    ]
    batch, rejected = reasons(SEIZ, values)
    assert rejected == {1: "inconsistent_fields", 2: "inconsistent_fields", 3: "out_of_range", 4: "invalid_value", 5: "wrong_type"}
    row = batch.accepted.row(0, named=True)
    assert (row["drug_quantity"], row["drug_unit"], row["prosecuted"], row["transferred"]) == (2.5, "kg", False, True)


def test_a_large_batch_with_scattered_bad_messages() -> None:
    """Bad messages anywhere in a large batch are isolated; every good one is accepted."""
    values: list = [revenue(amount_vnd=i + 1) for i in range(5000)]
    for i in range(0, 5000, 97):
        values[i] = b"{broken" if i % 2 else b"\xc3\x28"
    batch, rejected = reasons(REV, values)
    bad = set(range(0, 5000, 97))
    assert set(rejected) == bad
    assert batch.accepted.height == 5000 - len(bad)
    assert batch.accepted["amount_vnd"].sum() == sum(i + 1 for i in range(5000) if i not in bad)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.binary(max_size=200),
            st.just(encode(revenue())),
            st.dictionaries(
                st.sampled_from(list(revenue())),
                st.one_of(st.none(), st.integers(), st.text(max_size=20), st.booleans(), st.floats(allow_nan=False)),
            ).map(lambda d: json.dumps({**revenue(), **d}).encode()),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_every_message_is_accounted_for(values: list[bytes]) -> None:
    """Whatever the bytes, each message is either accepted or rejected, exactly once."""
    batch = decode_batch(REV, raw_batch("customs.revenue", values), NOW)
    offsets = sorted(batch.accepted["source_offset"].to_list() + batch.rejects["source_offset"].to_list())
    assert offsets == list(range(len(values)))
    assert batch.rejects["reason"].is_in([r.value for r in RejectReason]).all()


@pytest.mark.parametrize(
    ("header", "parsed"),
    [
        (b"customs.revenue/3/1200", ("customs.revenue", 3, 1200)),
        (b"customs.revenue/0/99999999999999999999999", None),  # past a 64-bit offset
        (b"customs.revenue/2147483648/0", None),
        (b"customs.revenue/-1/5", None),
        (b"/0/5", None),
        (b"\xff\xfe/0/1", None),
        (b"customs.revenue/1", None),
    ],
)
def test_replay_headers_outside_kafka_limits_are_ignored(header: bytes, parsed: tuple | None) -> None:
    from streams.contract.events import parse_replay_header

    assert parse_replay_header(header) == parsed
