"""A differential fuzz test of the decoder against an oracle that shares none of its code.

Seeded random valid events of all three types, and mutations of them (types, escaped and
duplicate names, nesting, huge and fractional numbers, surrogates, whitespace, timestamps at every
boundary), each serialised by hand so that every byte is chosen. The oracle decides each message
with Python's `json` (duplicate names refused), a JSON Schema validator (`jsonschema`) on the
project's own schema files, and the contract's remaining rules written out plainly (tests/support/oracle.py). For each
message the decoder and the oracle must agree on accepted or rejected, on the reason (the
decoder's must be among the oracle's, and equal when the oracle finds one), and on every stored
value.
"""

from __future__ import annotations

import json
import random
from datetime import UTC, timedelta
from typing import Any

import polars as pl
import pytest

from streams.contract import EVENT_TYPES
from streams.decode import decode_batch
from streams.decode.batch import RawBatch
from tests.support.oracle import DEPARTMENTS, NOW, SCHEMAS, VIETNAM, oracle

# -- the messages ----------------------------------------------------------------------------------


def valid(rng: random.Random, event_type: str, i: int) -> dict[str, Any]:
    dept = rng.choice(DEPARTMENTS)
    when = NOW - timedelta(seconds=rng.randint(0, 400 * 86400))
    event: dict[str, Any] = {
        "event_id": f"fz-{event_type}-{i}",
        "event_type": event_type,
        "schema_version": 1,
        "occurred_at": when.astimezone(rng.choice([UTC, VIETNAM])).isoformat(),
        "department_code": dept,
    }
    if rng.random() < 0.5:
        event["office_code"] = dept + rng.choice(["CC", "KV", "01"])
    if event_type == "revenue":
        event |= {
            "receipt_no": f"R{i}",
            "kind": rng.choice(["collection", "refund"]),
            "tax_type": rng.choice(["vat", "import_duty", "excise", "other"]),
            "amount_vnd": rng.randint(1, 10**15 - 1),
            "enterprise_tax_code": f"{rng.randint(0, 10**10 - 1):010d}",
        }
    elif event_type == "declaration":
        status = rng.choice(["registered", "cleared", "cancelled"])
        event |= {
            "declaration_no": f"{rng.randint(0, 10**12 - 1):012d}",
            "status": status,
            "type_code": rng.choice(["A11", "B11", "E31"]),
            "flow": rng.choice(["import", "export"]),
            "enterprise_tax_code": f"{rng.randint(0, 10**10 - 1):010d}",
            "customs_value_usd": round(rng.uniform(0, 1e7), 2),
        }
        if status != "cancelled" or rng.random() < 0.5:
            event["channel"] = rng.choice(["green", "yellow", "red"])
    else:
        event |= {
            "case_id": f"C{i}",
            "category": rng.choice(["smuggling", "drugs", "wildlife", "other"]),
            "goods_value_vnd": rng.randint(0, 2**63 - 1) if rng.random() < 0.2 else rng.randint(0, 10**12),
            "budget_collected_vnd": rng.randint(0, 10**10),
            "prosecuted": rng.random() < 0.5,
            "transferred": rng.random() < 0.5,
        }
        if event["category"] == "drugs":
            event |= {"drug_quantity": round(rng.uniform(0.1, 100), 3), "drug_unit": rng.choice(["kg", "brick", "tablet"])}
    return event


def _text(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _escape_name(rng: random.Random, name: str) -> str:
    i = rng.randrange(len(name))
    return '"' + name[:i] + f"\\u{ord(name[i]):04x}" + name[i + 1 :] + '"'


NUMBERS = [
    "0", "-0", "1", "-1", "1000", "1000.0", "1e3", "1E+3", "1.5e3", "15000e-1", "1.5", "0.5", "1e-1", "12.5e0",
    str(2**53 + 1), str(2**63 - 1), str(2**63), str(-(2**63)), str(-(2**63) - 1), str(2**64), "1e19", "1e400",
    "9223372036854775807.0", "92233720368547758070e-1", str(10**15), str(10**15 - 1), "1" + "0" * 40, "0e999999999999",
]  # fmt: skip
TIMES = [
    "1999-12-31T16:59:59Z", "1999-12-31T17:00:00Z", "2000-01-01T00:00:00+07:00", "1999-12-31T23:59:59+07:00",
    "2021-06-16T03:00:00Z", "2021-06-16T03:00:01Z", "2021-06-16T10:00:00+07:00", "2021-06-16T10:00:00.000001+07:00",
    "2021-02-29T00:00:00Z", "2021-06-01T09:30:00", "2021-06-01 09:30:00Z", "2021-06-01t09:30:00z", "2021-06-01T24:00:00Z",
]  # fmt: skip
ODD_VALUES = ['"1"', "true", "false", "null", "{}", "[]", '{"a":1}', "[1]", '""', '"yes"', '"\\ud800"', '"a\\ud83d\\ude00"']


def mutate(rng: random.Random, event: dict[str, Any], spec_fields: list[str]) -> bytes:
    """The event as hand-made JSON text, with one or two mutations."""
    members = [(f'"{k}"', _text(v)) for k, v in event.items()]
    for _ in range(rng.choice([1, 1, 2])):
        i = rng.randrange(len(members))
        name, _value = members[i]
        field = json.loads(name)
        kind = rng.randrange(12)
        if kind == 0:  # another type, or a string that needs escaping
            members[i] = (name, rng.choice(ODD_VALUES))
        elif kind == 1:  # the name written with an escape
            members[i] = (_escape_name(rng, field), members[i][1])
        elif kind == 2:  # the same member twice, same or other value
            twin = (rng.choice([name, _escape_name(rng, field)]), rng.choice([members[i][1], "7"]))
            members.insert(rng.randrange(len(members) + 1), twin)
        elif kind == 3:  # a known name nested in an unknown member, before the real one
            members.insert(0, ('"x"', "{" + f'"{rng.choice(spec_fields)}":' + rng.choice([*ODD_VALUES, "5"]) + "}"))
        elif kind == 4:  # a number of any size or shape
            members[i] = (name, rng.choice(NUMBERS))
        elif kind == 5:
            members[i] = ('"occurred_at"', _text(rng.choice(TIMES)))
        elif kind == 6:  # a member removed
            del members[i]
        elif kind == 7:  # an unknown member, maybe with a surrogate or a name spelt like a field
            value = rng.choice(['"\\ud800"', '"\\udc00"', '"ok"', _text(rng.choice(spec_fields)), "[1,{}]"])
            members.insert(rng.randrange(len(members) + 1), (rng.choice(['"note"', '"n\\udfff"', '"z"']), value))
        elif kind == 8:  # a string value that spells a field's name, before that field
            members.insert(0, ('"note"', _text(rng.choice(spec_fields))))
        elif kind == 9:
            members[i] = (name, rng.choice(['"99"', '"01"', '"0"', '"03CCX"', '"0"', '"' + "x" * 65 + '"']))
        elif kind == 10:  # schema_version or event_type
            version = ('"schema_version"', rng.choice(["1.0", "1e0", "2", '"1"', str(2**64)]))
            members.append(rng.choice([version, ('"event_type"', '"other"')]))
        else:
            pass  # whitespace only, below
    sep, colon = rng.choice([(",", ":"), (", ", ": "), (",\n  ", " : "), ("\t,", ":\t")])
    return ("{" + sep.join(f"{n}{colon}{v}" for n, v in members) + "}").encode()


def messages(seed: int, event_type: str, n: int) -> list[bytes]:
    rng = random.Random(seed)
    fields = list(SCHEMAS[event_type]["properties"])
    out = []
    for i in range(n):
        event = valid(rng, event_type, i)
        out.append(json.dumps(event).encode() if rng.random() < 0.3 else mutate(rng, event, fields))
    return out


# -- the test --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("event_type", ["declaration", "revenue", "seizure"])
def test_decoder_agrees_with_the_oracle(event_type: str) -> None:
    spec = EVENT_TYPES[event_type]
    values = messages(seed=20261202 + len(event_type), event_type=event_type, n=2500)
    batch = decode_batch(spec, RawBatch(spec.topic, [0] * len(values), list(range(len(values))), [None] * len(values), values), NOW)
    stored = {row["source_offset"]: row for row in batch.accepted.iter_rows(named=True)}
    rejected = dict(zip(batch.rejects["source_offset"].to_list(), batch.rejects["reason"].to_list(), strict=True))
    assert len(stored) + len(rejected) == len(values)
    disagreements = []
    for offset, raw in enumerate(values):
        reasons, expected = oracle(event_type, raw)
        if expected is not None:
            got = stored.get(offset)
            if got is None:
                disagreements.append((raw, "oracle accepts", rejected.get(offset)))
            elif any(got[k] != v for k, v in expected.items()):
                disagreements.append((raw, "values differ", {k: (got[k], v) for k, v in expected.items() if got[k] != v}))
        elif offset in stored:
            disagreements.append((raw, "decoder accepts", reasons))
        elif rejected[offset] not in reasons:
            disagreements.append((raw, f"decoder says {rejected[offset]}", reasons))
    assert disagreements == [], f"{len(disagreements)} of {len(values)}: {disagreements[:5]}"
    accepted = len(stored)
    assert 0.2 * len(values) < accepted < 0.8 * len(values)  # both outcomes well exercised
    assert len(set(rejected.values())) >= 8
    by_reason = pl.Series(list(rejected.values())).value_counts(sort=True).rows()
    print(f"\n{event_type}: {len(values)} messages, {accepted} accepted, rejects by reason {by_reason}")
