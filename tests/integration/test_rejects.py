"""`customs-kpi rejects` and `rejects replay` against the running consumer and the real broker.

The fix being replayed: 300 revenue events were rejected as unknown_department by an older
release whose reference data lacked department 61 (seeded into the rejects table as that release
would have stored them); today's reference data knows 61. Twenty invalid JSON messages are
rejected for good and stay rejected whatever is replayed.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from kafka import KafkaConsumer, KafkaProducer, TopicPartition

from streams.config import default_group_id
from tests.support.factories import encode, revenue
from tests.support.services import ConsumerProcess, cli, committed_offsets, sample

SEEDED = 300


def _seed_old_rejects(db: Path) -> int:
    """Rejects stored by the older release, at offsets of a partition long since deleted from Kafka."""
    from streams.store import open_store

    store = open_store(db)
    total = 0
    with store.reader() as con:
        for i in range(SEEDED):
            amount = 1_000_000 * (i + 1)
            total += amount
            value = encode(revenue(event_id=f"old-61-{i}", department_code="61", office_code=None, amount_vnd=amount))
            con.execute(
                "INSERT INTO rejects (source_topic, source_partition, source_offset, message_key, raw_value, reason, detail, "
                "event_id, rejected_at, dlq_published) VALUES ('customs.revenue', 5, ?, '61', ?, 'unknown_department', "
                "'department_code 61 is not in reference/departments.csv', ?, ?, true)",
                [900_000 + i, value, f"old-61-{i}", datetime(2021, 4, 1, 3, 0, tzinfo=UTC)],
            )
        # That release kept no aggregates: the consumer builds them from the rows when it opens the file.
        con.execute("UPDATE store_state SET aggregates_built = false")
    store.close()
    return total


def _caught_up(bootstrap: str, db: Path) -> None:
    """Until the consumer has stored and committed everything on customs.revenue: its group's
    offsets in Kafka (committed after DuckDB's) equal the topic's end offsets."""
    reader = KafkaConsumer(bootstrap_servers=bootstrap)
    try:
        partitions = [TopicPartition("customs.revenue", p) for p in reader.partitions_for_topic("customs.revenue")]
        deadline = time.monotonic() + 120
        while True:
            ends = {(tp.topic, tp.partition): end for tp, end in reader.end_offsets(partitions).items()}
            committed = committed_offsets(bootstrap, default_group_id(db))
            if all(committed.get(key, 0) == end for key, end in ends.items()):
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the consumer had not committed up to the end of customs.revenue: {committed} of {ends}")
            time.sleep(0.3)
    finally:
        reader.close()


def _wait_lake_with(db: Path, rejects: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        out = cli("rejects", "--db", str(db)).stdout
        if f"{rejects:,} rejects" in out:
            return
        time.sleep(0.5)
    raise AssertionError(f"the lake never showed {rejects} rejects:\n{out}")


def test_summary_replay_and_replaying_again(bootstrap: str, tmp_path: Path) -> None:
    db = tmp_path / "rejects.duckdb"
    seeded_total = _seed_old_rejects(db)
    consumer = ConsumerProcess(bootstrap, db, tmp_path / "consumer.log", "--publish-every", "0.5").start()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for i in range(500):
        producer.send("customs.revenue", key=b"01", value=encode(revenue(event_id=f"new-{i}", department_code="01", office_code=None)))
        if i % 25 == 0:
            producer.send("customs.revenue", key=b"01", value=b'{"event_id": "truncated')
    producer.flush()
    producer.close()
    consumer.wait_for_records(SEEDED + 500 + 20)
    _wait_lake_with(db, SEEDED + 20)

    summary = cli("rejects", "--db", str(db)).stdout
    assert "unknown_department" in summary and "invalid_json" in summary
    by_day = cli("rejects", "--db", str(db), "--by", "day", "--reason", "unknown_department").stdout
    assert "2021-04-01" in by_day and "300 rejects" in by_day
    dry = cli("rejects", "replay", "-b", bootstrap, "--db", str(db), "--dry-run").stdout
    assert "would replay 320 rejects (invalid_json: 20, unknown_department: 300)" in dry

    out = cli("rejects", "replay", "-b", bootstrap, "--db", str(db), "--reason", "unknown_department").stdout
    assert "replayed 300 of 300 rejects (unknown_department: 300); failed 0" in out
    samples = consumer.wait_for_records(SEEDED + 500 + 20 + SEEDED)
    assert sample(samples, "customs_revenue_collected_vnd_total", department="61") == seeded_total
    _caught_up(bootstrap, db)
    _wait_lake_with(db, SEEDED + 20)  # no reject rows were added

    # Replay everything still rejected, twice: the invalid JSON fails again, and nothing changes.
    assert "would replay 20 rejects (invalid_json: 20)" in cli("rejects", "replay", "-b", bootstrap, "--db", str(db), "--dry-run").stdout
    for _ in range(2):
        assert "replayed 20 of 20 rejects (invalid_json: 20)" in cli("rejects", "replay", "-b", bootstrap, "--db", str(db)).stdout
        _caught_up(bootstrap, db)
    # the accepted ones are not sent again, even when asked for by reason
    assert (
        "would replay 0 rejects"
        in cli("rejects", "replay", "-b", bootstrap, "--db", str(db), "--reason", "unknown_department", "--dry-run").stdout
    )
    samples = consumer.samples()
    assert sample(samples, "customs_revenue_collected_vnd_total", department="61") == seeded_total
    assert sample(samples, "customs_kpi_records_total", topic="customs.revenue", outcome="accepted") == 500 + SEEDED
    assert sample(samples, "customs_kpi_records_total", topic="customs.revenue", outcome="rejected") == SEEDED + 20
    assert consumer.stop() == 0

    con = duckdb.connect(str(db), read_only=True)
    statuses = dict(con.execute("SELECT reason || '/' || coalesce(replay_status, '-'), count(*) FROM rejects GROUP BY 1").fetchall())
    assert statuses == {"unknown_department/accepted": SEEDED, "invalid_json/invalid_json": 20}
    assert con.execute("SELECT count(*) FROM duplicates").fetchone() == (0,)
    assert con.execute("SELECT count(*), sum(amount_vnd) FROM revenue WHERE department_code = '61'").fetchone() == (SEEDED, seeded_total)
    # every message on the topic was read: 520 sent, 300 replayed, then 20 twice
    assert con.execute("SELECT sum(next_offset) FROM consumer_offsets WHERE topic = 'customs.revenue'").fetchone() == (520 + 300 + 40,)
    con.close()
