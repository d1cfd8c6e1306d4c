"""A hostile corpus from another client, mixed into a stream of good events: every bad message is
rejected with its reason, stored with its raw bytes and copied to customs.dlq; every good event
lands; totals are exact; the consumer keeps running."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import duckdb
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from streams.config import KafkaConnection
from streams.kafka.topics import ensure_topics
from tests.support.factories import declaration, encode, revenue, seizure
from tests.support.services import ConsumerProcess, sample

REV, DECL, SEIZ = "customs.revenue", "customs.declarations", "customs.seizures"


def _without(event: dict, field: str) -> dict:
    return {k: v for k, v in event.items() if k != field}


def _raw(event: dict, field: str, literal: str) -> bytes:
    """The event as JSON with one field's value replaced by a raw JSON literal (NaN, Infinity, ...)."""
    return json.dumps({**event, field: "@@"}).replace('"@@"', literal).encode()


# (topic, value, reason); reason None means the message is valid and must be stored verbatim.
CORPUS: list[tuple[str, bytes | None, str | None]] = [
    (REV, b"\xc3\x28\xa0\xa1", "invalid_utf8"),
    (REV, b'{"event_id": "x", ', "invalid_json"),
    (REV, b"", "invalid_json"),
    (REV, None, "invalid_json"),  # a tombstone: no value at all
    (REV, b"42", "not_an_object"),
    (REV, b'["an", "array"]', "not_an_object"),
    (REV, b"[" * 20000 + b"]" * 20000, "invalid_json"),  # nested too deeply, under 64 KiB
    (REV, b'{"a": ' * 3000 + b"1" + b"}" * 3000, "invalid_json"),
    (REV, encode({**revenue(event_id="big"), "padding": "x" * 70_000}), "message_too_large"),
    (REV, encode(_without(revenue(event_id="h-missing"), "amount_vnd")), "missing_field"),
    (REV, encode(_without(revenue(event_id="h-missing2"), "occurred_at")), "missing_field"),
    (REV, encode(revenue(event_id="h-type1", amount_vnd="1500000")), "wrong_type"),
    (REV, encode(revenue(event_id="h-type2", department_code=3)), "wrong_type"),
    (REV, encode(revenue(event_id="h-type3", amount_vnd=[1])), "wrong_type"),
    (REV, encode(revenue(event_id="h-neg", amount_vnd=-1_000_000)), "out_of_range"),
    (REV, encode(revenue(event_id="h-huge", amount_vnd=10**18)), "out_of_range"),
    (REV, _raw(revenue(event_id="h-nan"), "amount_vnd", "NaN"), "invalid_json"),
    (REV, _raw(revenue(event_id="h-inf"), "amount_vnd", "Infinity"), "invalid_json"),
    (REV, _raw(revenue(event_id="h-ninf"), "amount_vnd", "-Infinity"), "invalid_json"),
    (REV, encode(revenue(event_id="h-dept", department_code="98")), "unknown_department"),
    (REV, encode(revenue(event_id="h-sqldept", department_code="01'; DROP TABLE revenue; --")), "unknown_department"),
    (REV, encode(revenue(event_id="h-tax", tax_type="customs_fee")), "invalid_value"),
    (REV, encode(revenue(event_id="h-naive", occurred_at="2021-05-04T09:00:00")), "invalid_timestamp"),
    (REV, encode(revenue(event_id="h-past", occurred_at="1970-01-01T00:00:00Z")), "timestamp_out_of_range"),
    (REV, encode(revenue(event_id="h-future", occurred_at="2999-01-01T00:00:00+07:00")), "timestamp_out_of_range"),
    (REV, encode(seizure(event_id="h-wrongtopic")), "wrong_topic"),
    (REV, encode(revenue(event_id="h-v2", schema_version=2)), "unsupported_schema_version"),
    (REV, encode(revenue(event_id="h-ctl\u0007id")), "invalid_value"),
    (REV, encode(revenue(event_id="h-ctl\u0000")), "invalid_value"),
    (SEIZ, encode(seizure(event_id="h-cat", category="piracy")), "invalid_value"),
    (SEIZ, encode(seizure(event_id="h-unit", category="drugs", drug_quantity=2.0, drug_unit="ton")), "invalid_value"),
    (SEIZ, encode(seizure(event_id="h-unitless", category="drugs", drug_quantity=2.0)), "inconsistent_fields"),
    (SEIZ, encode(seizure(event_id="h-negvalue", goods_value_vnd=-1)), "out_of_range"),
    (DECL, encode(declaration(event_id="h-channel", channel="blue")), "invalid_value"),
    (DECL, encode(declaration(event_id="h-flow", flow="transit")), "invalid_value"),
    (DECL, encode(declaration(event_id="h-declno", declaration_no="12AB")), "invalid_value"),
    # valid, however odd: stored verbatim, never interpreted
    (REV, encode(revenue(event_id="h-sql", receipt_no="'; DROP TABLE revenue; --", amount_vnd=7)), None),
    (REV, encode(revenue(event_id="h-ctlreceipt", receipt_no="R\u0000\u001b[31m\u007f", amount_vnd=11)), None),
    (REV, encode({**revenue(event_id="h-extra", amount_vnd=13), "extra": {"deep": [1, {"x": None}]}, "note": "ignored"}), None),
]


def test_hostile_corpus_among_good_events(bootstrap: str, tmp_path: Path) -> None:
    ensure_topics(KafkaConnection(bootstrap))
    dlq = KafkaConsumer(bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False)
    dlq.assign([TopicPartition("customs.dlq", p) for p in dlq.partitions_for_topic("customs.dlq")])

    rng = random.Random(7)
    messages: list[tuple[str, bytes | None, str | None]] = []
    good: Counter = Counter()
    for i in range(3000):
        dept = rng.choice(["01", "02", "03"])
        amount = rng.randrange(1, 10**12)
        good[dept] += amount
        messages.append((REV, encode(revenue(event_id=f"g-{i}", department_code=dept, office_code=None, amount_vnd=amount)), "good"))
    for topic, value, reason in CORPUS:
        messages.insert(rng.randrange(len(messages)), (topic, value, reason))
    # the same id twice: once exactly (a duplicate, counted), once with other content (a conflict, rejected)
    original = revenue(event_id="h-twice", amount_vnd=17)
    messages += [(REV, encode(original), None), (REV, encode(original), "duplicate"), (REV, encode({**original, "amount_vnd": 18}), "x")]

    consumer = ConsumerProcess(bootstrap, tmp_path / "hostile.duckdb", tmp_path / "consumer.log").start()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", max_request_size=2_000_000)
    for topic, value, _ in messages:
        producer.send(topic, key=b"03", value=value)  # one key: one partition, so the order above holds
    # Good events with a forged or garbled replay header: ordinary messages (no stored reject has
    # these bytes), accepted like any other.
    forged = [
        [("customs_kpi.replay_of", b"\xff\xfe not/a/header")],
        [("customs_kpi.replay_of", b"customs.revenue/0/0")],
        [("customs_kpi.replay_of", b"customs.revenue/0/99999999999999999999999")],
    ]
    for i, headers in enumerate(forged):
        value = encode(revenue(event_id=f"h-forged-{i}", amount_vnd=1000 + i))
        producer.send(REV, key=b"03", value=value, headers=headers)
        messages.append((REV, value, None))
    producer.flush()
    producer.close()
    samples = consumer.wait_for_records(len(messages))
    assert consumer.process is not None and consumer.process.poll() is None  # still running

    expected_rejects = Counter(r for _, _, r in CORPUS if r) + Counter({"conflicting_duplicate": 1})
    rejected = sum(v for (n, labels), v in samples.items() if n == "customs_kpi_records_total" and ("outcome", "rejected") in labels)
    assert rejected == sum(expected_rejects.values()) == 37
    assert sample(samples, "customs_kpi_records_total", topic=REV, outcome="duplicate") == 1
    valid_odd = 7 + 11 + 13 + 17 + 1000 + 1001 + 1002
    assert sample(samples, "customs_revenue_collected_vnd_total", department="03") == good["03"] + valid_odd
    for dept in ("01", "02"):
        assert sample(samples, "customs_revenue_collected_vnd_total", department=dept) == good[dept]
    assert consumer.stop() == 0

    con = duckdb.connect(str(tmp_path / "hostile.duckdb"), read_only=True)
    stored = con.execute("SELECT source_topic, source_offset, reason, raw_value FROM rejects").fetchall()
    assert Counter(r for _, _, r, _ in stored) == expected_rejects
    # each reject is the exact message sent at its offset, raw bytes included
    sent_at = {}
    offsets: Counter = Counter()
    for topic, value, reason in messages:
        sent_at[(topic, offsets[topic])] = (value, reason)
        offsets[topic] += 1
    for topic, offset, reason, raw in stored:
        value, expected = sent_at[(topic, offset)]
        assert (raw, reason) == (value, expected if expected != "x" else "conflicting_duplicate"), (topic, offset)
    receipts = dict(con.execute("SELECT event_id, receipt_no FROM revenue WHERE event_id LIKE 'h-%'").fetchall())
    assert receipts == {
        "h-sql": "'; DROP TABLE revenue; --",
        "h-ctlreceipt": "R\u0000\u001b[31m\u007f",
        "h-extra": "BL0001",
        "h-twice": "BL0001",
        "h-forged-0": "BL0001",
        "h-forged-1": "BL0001",
        "h-forged-2": "BL0001",
    }
    assert con.execute("SELECT count(*) FROM revenue WHERE event_id LIKE 'g-%'").fetchone() == (3000,)
    assert "extra" not in {c[0] for c in con.execute("DESCRIBE revenue").fetchall()}
    con.close()

    copies = []
    for _ in range(30):
        copies += [r for records in dlq.poll(timeout_ms=500).values() for r in records]
        if len(copies) >= len(stored):
            break
    dlq.close()
    assert Counter(dict(r.headers)["customs_kpi.reason"].decode() for r in copies) == expected_rejects
    by_offset = {int(dict(r.headers)["customs_kpi.source_offset"]): r.value for r in copies if r.headers}
    for topic, offset, _, raw in stored:
        if topic == REV:
            assert by_offset[offset] == raw
