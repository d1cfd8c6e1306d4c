"""What the product writes, it reads back: a table exported or queried to CSV, JSON lines or Parquet
replays (customs-kpi produce replay reads the file) into exactly the events that were stored."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from streams.cli.output import write_result
from streams.contract import EVENT_TYPES
from streams.decode import decode_batch
from streams.decode.batch import RawBatch
from streams.produce.replay import read_events
from streams.query import export_frame, write_frame
from streams.read import open_sandbox, run_query
from streams.store import open_store
from tests.support.factories import NOW, declaration, raw_batch, revenue, seizure

EVENTS = {
    "revenue": [
        revenue(event_id="r1", occurred_at="2021-01-01T07:44:53+07:00", receipt_no="HĐ-001"),
        revenue(event_id="r2", occurred_at="2021-03-01T09:30:00.123456+07:00", amount_vnd=10**15 - 1, kind="refund"),
    ],
    "declaration": [declaration(event_id="d1", occurred_at="2021-02-01T08:00:00Z")],
    "seizure": [seizure(event_id="s1", occurred_at="2021-02-03T10:00:00.5+07:00", goods_value_vnd=2**63 - 1)],
}
CONTRACT = {name: [f.name for f in spec.fields] for name, spec in EVENT_TYPES.items()}


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "c.duckdb"
    store = open_store(path)
    for name, events in EVENTS.items():
        spec = EVENT_TYPES[name]
        batch = decode_batch(spec, raw_batch(spec.topic, events), NOW)
        assert batch.rejects.is_empty()
        store.write_batch([(spec, batch)], {(spec.topic, 0): len(events)}, NOW)
    store.close()
    return path


def _replayed(path: Path, name: str) -> pl.DataFrame:
    """The file's events as the consumer would store them (read by the replay, decoded by the decoder)."""
    spec = EVENT_TYPES[name]
    values = [m.value for m in read_events(path)]
    batch = decode_batch(spec, RawBatch(spec.topic, [0] * len(values), list(range(len(values))), [None] * len(values), values), NOW)
    assert batch.rejects.is_empty(), batch.rejects.select("reason", "detail").rows()
    return batch.accepted.select(CONTRACT[name])


@pytest.mark.parametrize("name", ["revenue", "declaration", "seizure"])
@pytest.mark.parametrize("how", ["export.csv", "export.parquet", "sql.csv", "sql.json", "sql.parquet"])
def test_every_format_replays_into_the_stored_events(db: Path, tmp_path: Path, name: str, how: str) -> None:
    table = EVENT_TYPES[name].table
    con, source = open_sandbox(db)
    try:
        stored = run_query(con, source, f"SELECT * FROM {table} ORDER BY source_offset").frame.select(CONTRACT[name])
        command, fmt = how.split(".")
        path = tmp_path / f"{table}.{'jsonl' if fmt == 'json' else fmt}"
        if command == "export":
            write_frame(export_frame(con, source, table, 1000), path)
        else:
            write_result(run_query(con, source, f"SELECT * FROM {table} ORDER BY source_offset"), fmt, path)
    finally:
        con.close()
    assert stored.height == len(EVENTS[name])
    assert _replayed(path, name).to_dicts() == stored.to_dicts()


def test_bytes_go_to_csv_in_base64_and_come_back_whole() -> None:
    """A reject's raw bytes (not UTF-8, NUL included) in `sql --format csv` or `export x.csv`: base64, every byte kept."""
    import base64
    import io

    from streams.query import csv_text

    raw = [b"\xff\xfe{\x00", None, b"plain"]
    text = csv_text(pl.DataFrame({"raw_value": raw, "n": [1, 2, 3]}, schema={"raw_value": pl.Binary, "n": pl.Int64}))
    back = pl.read_csv(io.StringIO(text))["raw_value"].to_list()
    assert [None if v is None else base64.b64decode(v) for v in back] == raw
