"""Each SQL file of the write path (sql/write), the aggregates (sql/aggregates) and the metrics read
(sql/metrics), run on its own against a real DuckDB database: known input rows, exact output rows.
A file without a test here fails test_every_file_has_a_test."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import polars as pl
import pytest

from streams.config import lake_for
from streams.contract import EVENT_TYPES
from streams.decode import decode_batch
from streams.decode.result import REJECT_SCHEMA
from streams.kpi.targets import load_targets
from streams.lake import attach
from streams.store import EventStore, open_store, sql_dir, statement, write_reference
from streams.store.aggregates import contribution
from tests.support.factories import declaration, raw_batch, revenue, seizure
from tests.support.sqlcover import covered, covers

ICT = timezone(timedelta(hours=7))
NOW = datetime(2021, 6, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> EventStore:
    s = open_store(tmp_path / "sql.duckdb")
    write_reference(s, load_targets())
    return s


def run(store: EventStore, sql: str, params: dict[str, object] | None = None, **frames: pl.DataFrame) -> list[tuple]:  # type: ignore[type-arg]
    with store.reader() as con:
        for name, frame in frames.items():
            con.register(name, frame.to_arrow())
        result = con.execute(sql, params or {})
        return result.fetchall() if result.description else []


def decoded(name: str, events: list[dict]) -> pl.DataFrame:  # type: ignore[type-arg]
    spec = EVENT_TYPES[name]
    batch = decode_batch(spec, raw_batch(spec.topic, events), NOW)
    assert batch.rejects.is_empty()
    return batch.accepted


# -- sql/write ---------------------------------------------------------------------------------


@covers("write/insert_events", "write/stored_events", "write/index_events")
def test_insert_find_and_index_events(store: EventStore) -> None:
    rows = decoded("revenue", [revenue(event_id="a", amount_vnd=5), revenue(event_id="b", amount_vnd=7)])
    run(store, statement("write/insert_events", table="revenue"), {"now": NOW, "batch_seq": 4}, new_events=rows)
    assert run(store, "SELECT event_id, amount_vnd, source_offset, ingested_at, batch_seq FROM revenue ORDER BY 1") == [
        ("a", 5, 0, NOW, 4),
        ("b", 7, 1, NOW, 4),
    ]
    seen = pl.DataFrame({"event_id": ["b", "a"], "stored_partition": [0, 0], "stored_offset": [1, 9]})
    found = run(store, statement("write/stored_events", table="revenue"), {"lowest": 0, "highest": 9}, seen=seen)
    assert [(r[0], r[9]) for r in found] == [("b", 7)]  # "a" is not stored at offset 9
    assert run(store, statement("write/stored_events", table="revenue"), {"lowest": 2, "highest": 9}, seen=seen) == []
    assert run(store, statement("write/index_events", table="revenue"), {"after": 3}) == [("a", 0, 0), ("b", 0, 1)]
    assert run(store, statement("write/index_events", table="revenue"), {"after": 4}) == []


@covers("write/index_declarations")
def test_index_declarations(store: EventStore) -> None:
    rows = decoded(
        "declaration",
        [
            declaration(event_id="r", occurred_at="2021-03-01T08:00:00+07:00"),
            declaration(event_id="x", status="cancelled", occurred_at="2021-03-01T09:00:00+07:00"),
        ],
    )
    run(store, statement("write/insert_events", table="declarations"), {"now": NOW, "batch_seq": 2}, new_events=rows)
    assert run(store, statement("write/index_declarations"), {"after": 1}) == [
        ("101234567890", "registered", datetime(2021, 3, 1, 1, 0, tzinfo=UTC), "r", "green", "03")
    ]


@covers(
    "write/insert_duplicates",
    "write/insert_rejects",
    "write/upsert_offsets",
    "write/end_batch",
    "write/stored_offsets",
    "write/stored_topic_ids",
    "write/store_state",
    "write/change_rejects",
)
def test_duplicates_rejects_offsets_and_the_batch_number(store: EventStore) -> None:
    params = {"now": NOW, "batch_seq": 8}
    dups = pl.DataFrame({"source_topic": ["customs.revenue"], "source_partition": [1], "source_offset": [5], "event_id": ["a"]})
    run(store, statement("write/insert_duplicates"), params, new_duplicates=dups)
    assert run(store, "FROM duplicates") == [("customs.revenue", 1, 5, "a", NOW, 8, 0)]  # the partition's first log
    rejects = pl.DataFrame([("customs.revenue", 1, 6, None, b"{", "invalid_json", "bad", None)], schema=REJECT_SCHEMA, orient="row")
    run(store, statement("write/insert_rejects"), params | {"changed_seq": 3}, new_rejects=rejects)
    assert run(store, "SELECT source_offset, raw_value, reason, rejected_at, batch_seq, dlq_published, changed_seq FROM rejects") == [
        (6, b"{", "invalid_json", NOW, 8, False, 3)
    ]
    offsets = pl.DataFrame(
        {"topic": ["customs.revenue", "customs.seizures"], "partition": [1, 0], "next_offset": [7, 3], "topic_id": ["id-A", None]}
    ).cast({"partition": pl.Int32, "topic_id": pl.String})
    run(store, statement("write/upsert_offsets"), {"now": NOW}, incoming_offsets=offsets)
    later = offsets.with_columns(pl.lit(9).alias("next_offset"), pl.lit(None, pl.String).alias("topic_id"))
    run(store, statement("write/upsert_offsets"), {"now": NOW}, incoming_offsets=later)  # no id given: the stored one is kept
    assert run(store, "FROM consumer_offsets ORDER BY topic") == [
        ("customs.revenue", 1, 9, NOW, "id-A"),
        ("customs.seizures", 0, 9, NOW, None),
    ]
    assert run(store, statement("write/stored_offsets") + " ORDER BY topic") == [("customs.revenue", 1, 9), ("customs.seizures", 0, 9)]
    assert run(store, statement("write/stored_topic_ids")) == [("customs.revenue", 1, "id-A")]
    run(store, statement("write/upsert_offsets"), {"now": NOW}, incoming_offsets=later.with_columns(pl.lit("id-B").alias("topic_id")))
    assert run(store, statement("write/stored_topic_ids") + " ORDER BY topic") == [
        ("customs.revenue", 1, "id-B"),
        ("customs.seizures", 0, "id-B"),
    ]
    run(store, statement("write/end_batch"), {"batch_seq": 8, "changed_seq": 3})
    [(store_id, batch_seq, changed_seq)] = run(store, statement("write/store_state"))
    assert batch_seq == 8 and changed_seq == 3 and len(store_id) == 36  # a UUID, made by migration 004
    run(store, statement("write/change_rejects"), {"changed_seq": 4})
    assert run(store, statement("write/store_state"))[0][1:] == (8, 4)


@covers("write/accept_new_log", "write/forget_offset")
def test_accepting_a_new_log_records_the_offset_and_forgets_it(store: EventStore) -> None:
    offsets = pl.DataFrame({"topic": ["customs.revenue"] * 2, "partition": [1, 2], "next_offset": [300, 40], "topic_id": ["A", "A"]}).cast(
        {"partition": pl.Int32}
    )
    run(store, statement("write/upsert_offsets"), {"now": NOW}, incoming_offsets=offsets)
    run(store, statement("write/end_batch"), {"batch_seq": 12, "changed_seq": 0})
    where = {"topic": "customs.revenue", "partition": 1}
    run(store, statement("write/accept_new_log"), where | {"now": NOW, "by": "ops", "note": "broker rebuilt"})
    run(store, statement("write/forget_offset"), where)
    assert run(store, "FROM offset_resets") == [("customs.revenue", 1, 300, NOW, "ops", "broker rebuilt", 12)]  # the last old-log batch
    assert run(store, statement("write/stored_offsets")) == [("customs.revenue", 2, 40)]


@covers("write/genuine_replays", "write/replay_outcomes")
def test_replays_are_matched_byte_for_byte_and_their_outcome_recorded(store: EventStore) -> None:
    rejects = pl.DataFrame([("customs.revenue", 0, 3, None, b"old", "unknown_department", "d", None)], schema=REJECT_SCHEMA, orient="row")
    run(store, statement("write/insert_rejects"), {"now": NOW, "batch_seq": 1, "changed_seq": 1}, new_rejects=rejects)
    replays = pl.DataFrame(
        {
            "source_topic": ["customs.revenue"] * 2,
            "source_partition": [0, 0],
            "source_offset": [10, 11],
            "raw_value": [b"old", b"other"],
            "original_topic": ["customs.revenue"] * 2,
            "original_partition": [0, 0],
            "original_offset": [3, 3],
        }
    )
    assert run(store, statement("write/genuine_replays"), incoming_replays=replays) == [
        ("customs.revenue", 0, 10, "customs.revenue", 0, 3, 0)
    ]
    outcomes = pl.DataFrame(
        {
            "original_topic": ["customs.revenue"],
            "original_partition": [0],
            "original_offset": [3],
            "original_log": [0],
            "status": ["accepted"],
            "detail": ["ok"],
        }
    )
    later = NOW + timedelta(hours=1)
    run(store, statement("write/replay_outcomes"), {"now": later, "changed_seq": 2}, replay_outcomes=outcomes)
    run(
        store,
        statement("write/replay_outcomes"),
        {"now": later + timedelta(hours=1), "changed_seq": 3},
        replay_outcomes=outcomes.with_columns(status=pl.lit("duplicate")),
    )
    assert run(store, "SELECT replay_status, replay_detail, replayed_at, changed_seq FROM rejects") == [
        ("accepted", "ok", later, 2)
    ]  # not undone


def test_a_new_logs_rejects_and_duplicates_share_positions_with_the_old_ones(store: EventStore) -> None:
    """After accept-new-log, the new log's records number positions from 0 again: a reject or a
    duplicate at a position the old log used is stored beside the old one (its log_seq one more),
    and the DLQ bookkeeping and replays name the log too."""

    def reject(offset: int, raw: bytes) -> pl.DataFrame:
        return pl.DataFrame([("customs.revenue", 0, offset, None, raw, "invalid_json", "d", None)], schema=REJECT_SCHEMA, orient="row")

    dup = pl.DataFrame({"source_topic": ["customs.revenue"], "source_partition": [0], "source_offset": [7], "event_id": ["a"]})
    run(store, statement("write/insert_rejects"), {"now": NOW, "batch_seq": 1, "changed_seq": 1}, new_rejects=reject(3, b"old"))
    run(store, statement("write/insert_duplicates"), {"now": NOW, "batch_seq": 1}, new_duplicates=dup)
    _offsets(store, 10)
    run(store, statement("write/end_batch"), {"batch_seq": 1, "changed_seq": 1})
    where = {"topic": "customs.revenue", "partition": 0}
    run(store, statement("write/accept_new_log"), where | {"now": NOW, "by": "ops", "note": None})
    run(store, statement("write/forget_offset"), where)
    run(store, statement("write/insert_rejects"), {"now": NOW, "batch_seq": 2, "changed_seq": 2}, new_rejects=reject(3, b"new"))
    run(store, statement("write/insert_duplicates"), {"now": NOW, "batch_seq": 2}, new_duplicates=dup)
    assert run(store, "SELECT source_offset, raw_value, log_seq FROM rejects ORDER BY log_seq") == [(3, b"old", 0), (3, b"new", 1)]
    assert run(store, "SELECT source_offset, log_seq FROM duplicates ORDER BY log_seq") == [(7, 0), (7, 1)]
    pending = run(store, statement("write/unpublished_rejects"), {"from_batch": 0, "limit": 10})
    assert [(r[2], r[4], r[8]) for r in pending] == [(3, b"old", 0), (3, b"new", 1)]
    new_only = pl.DataFrame({"source_topic": ["customs.revenue"], "source_partition": [0], "source_offset": [3], "log_seq": [1]})
    run(store, statement("write/mark_published"), {"from_batch": 0, "changed_seq": 3}, published=new_only.cast({"log_seq": pl.Int32}))
    assert run(store, "SELECT log_seq, dlq_published FROM rejects ORDER BY log_seq") == [(0, False), (1, True)]
    replay = pl.DataFrame(
        {
            "source_topic": ["customs.revenue"],
            "source_partition": [0],
            "source_offset": [20],
            "raw_value": [b"old"],
            "original_topic": ["customs.revenue"],
            "original_partition": [0],
            "original_offset": [3],
        }
    )
    assert run(store, statement("write/genuine_replays"), incoming_replays=replay) == [
        ("customs.revenue", 0, 20, "customs.revenue", 0, 3, 0)
    ]


@covers("write/unpublished_rejects", "write/mark_published")
def test_dlq_bookkeeping(store: EventStore) -> None:
    rejects = pl.DataFrame(
        [("customs.revenue", 0, o, None, b"x", "invalid_json", "d", None) for o in (1, 2, 3)], schema=REJECT_SCHEMA, orient="row"
    )
    run(store, statement("write/insert_rejects"), {"now": NOW, "batch_seq": 5, "changed_seq": 1}, new_rejects=rejects)
    assert [r[2] for r in run(store, statement("write/unpublished_rejects"), {"from_batch": 0, "limit": 2})] == [1, 2]
    assert run(store, statement("write/unpublished_rejects"), {"from_batch": 6, "limit": 10}) == []  # batches after 5 only
    run(
        store,
        statement("write/mark_published"),
        {"from_batch": 0, "changed_seq": 2},
        published=rejects.head(2).select("source_topic", "source_partition", "source_offset").with_columns(log_seq=pl.lit(0, pl.Int32)),
    )
    assert [r[2] for r in run(store, statement("write/unpublished_rejects"), {"from_batch": 0, "limit": 10})] == [3]
    assert run(store, "SELECT source_offset, changed_seq FROM rejects ORDER BY 1") == [(1, 2), (2, 2), (3, 1)]


# -- sql/aggregates ----------------------------------------------------------------------------

EVENTS = {
    "revenue": [
        revenue(amount_vnd=10, occurred_at="2021-03-01T23:30:00+07:00"),  # 1 March, local
        revenue(amount_vnd=5, occurred_at="2021-03-01T17:30:00Z"),  # 2 March 00:30, local
        revenue(amount_vnd=3, kind="refund", occurred_at="2021-03-02T09:00:00+07:00"),
    ],
    "declaration": [
        declaration(channel="red", occurred_at="2021-03-01T08:00:00+07:00"),
        declaration(status="cleared", channel="red", occurred_at="2021-03-01T10:00:00+07:00"),
        {k: v for k, v in declaration(status="cancelled", occurred_at="2021-03-01T11:00:00+07:00").items() if k != "channel"},
    ],
    "seizure": [
        seizure(goods_value_vnd=100, budget_collected_vnd=9, prosecuted=True, occurred_at="2021-03-01T08:00:00+07:00"),
        seizure(
            goods_value_vnd=50,
            budget_collected_vnd=1,
            category="drugs",
            drug_quantity=1.0,
            drug_unit="kg",
            occurred_at="2021-03-02T08:00:00+07:00",
        ),
    ],
}
AGGREGATES = {
    "agg_revenue_day": [(date(2021, 3, 1), "03", "vat", "collection", 1, 10), (date(2021, 3, 2), "03", "vat", "collection", 1, 5),
                        (date(2021, 3, 2), "03", "vat", "refund", 1, 3)],
    "agg_revenue_total": [("03", "vat", "collection", 2, 15), ("03", "vat", "refund", 1, 3)],
    "agg_declarations_day": [(date(2021, 3, 1), "03", "import", "none", "cancelled", 1),
                             (date(2021, 3, 1), "03", "import", "red", "cleared", 1),
                             (date(2021, 3, 1), "03", "import", "red", "registered", 1)],
    "agg_declarations_total": [("03", "import", "none", "cancelled", 1), ("03", "import", "red", "cleared", 1),
                               ("03", "import", "red", "registered", 1)],
    "agg_seizures_day": [(date(2021, 3, 1), "03", "smuggling", 1, 100, 9, 1, 1), (date(2021, 3, 2), "03", "drugs", 1, 50, 1, 0, 1)],
    "agg_seizures_total": [("03", "drugs", 1, 50, 1, 0, 1), ("03", "smuggling", 1, 100, 9, 1, 1)],
    "agg_streams": [("03", "declarations", 3, datetime(2021, 3, 1, 4, 0, tzinfo=UTC)),
                    ("03", "revenue", 3, datetime(2021, 3, 2, 2, 0, tzinfo=UTC)),
                    ("03", "seizures", 2, datetime(2021, 3, 2, 1, 0, tzinfo=UTC))],
    "agg_records": [("customs.declarations", "accepted", 3), ("customs.revenue", "accepted", 3), ("customs.revenue", "duplicate", 1),
                    ("customs.revenue", "rejected", 1), ("customs.seizures", "accepted", 2)],
    "agg_rejects": [("customs.revenue", "invalid_json", 1)],
}  # fmt: skip


def _relations() -> dict[str, pl.DataFrame]:
    frames = {f"new_{EVENT_TYPES[n].table}": decoded(n, e) for n, e in EVENTS.items()}
    frames["new_duplicates"] = pl.DataFrame(
        {"source_topic": ["customs.revenue"], "source_partition": [0], "source_offset": [9], "event_id": ["a"]}
    )
    frames["new_rejects"] = pl.DataFrame(
        [("customs.revenue", 0, 10, None, b"{", "invalid_json", "d", None)], schema=REJECT_SCHEMA, orient="row"
    )
    return frames


@covers(
    "aggregates/agg_revenue_day",
    "aggregates/agg_revenue_total",
    "aggregates/agg_declarations_day",
    "aggregates/agg_declarations_total",
    "aggregates/agg_seizures_day",
    "aggregates/agg_seizures_total",
    "aggregates/agg_streams",
    "aggregates/agg_records",
    "aggregates/agg_rejects",
    "aggregates/merge/agg_revenue_day",
    "aggregates/merge/agg_revenue_total",
    "aggregates/merge/agg_declarations_day",
    "aggregates/merge/agg_declarations_total",
    "aggregates/merge/agg_seizures_day",
    "aggregates/merge/agg_seizures_total",
    "aggregates/merge/agg_streams",
    "aggregates/merge/agg_records",
    "aggregates/merge/agg_rejects",
)
@pytest.mark.parametrize("name", list(AGGREGATES))
def test_each_aggregate_contribution_and_merge(store: EventStore, name: str) -> None:
    """A batch's contribution is the expected rows; merging it twice doubles every count and sum."""
    frames = _relations()
    assert run(store, f"SELECT * FROM ({contribution(name, 'new_')}) ORDER BY ALL", **frames) == AGGREGATES[name]
    merge = statement(f"aggregates/merge/{name}", contribution=contribution(name, "new_"))
    run(store, merge, **frames)
    run(store, merge, **frames)
    doubled = [tuple(2 * v if isinstance(v, int) and not isinstance(v, bool) else v for v in row) for row in AGGREGATES[name]]
    assert run(store, f"SELECT * FROM {name} ORDER BY ALL") == doubled


@covers("aggregates/agg_release", "aggregates/merge/agg_release", "aggregates/merge/agg_release_zeros", "views/02_release_buckets")
def test_release_buckets_from_rows_and_from_deltas(store: EventStore) -> None:
    """The rebuild buckets release_times; deltas add and take away, and an emptied bucket disappears."""
    run(
        store,
        statement("write/insert_events", table="declarations"),
        {"now": NOW, "batch_seq": 1},
        new_events=decoded("declaration", EVENTS["declaration"]),
    )
    assert run(store, statement("aggregates/agg_release")) == [("03", "red", 7200.0, 1, 7200 * 10**6)]
    deltas = pl.DataFrame(
        {"department_code": ["03", "03"], "channel": ["red", "red"], "release_us": [7200 * 10**6, 60 * 10**6], "sign": [1, 1]}
    )
    run(store, statement("aggregates/merge/agg_release"), release_deltas=deltas)
    run(store, statement("aggregates/merge/agg_release"), release_deltas=deltas.head(1).with_columns(sign=pl.lit(-1)))
    run(store, statement("aggregates/merge/agg_release_zeros"))
    assert run(store, "FROM agg_release ORDER BY ALL") == [("03", "red", 900.0, 1, 60 * 10**6)]  # the 7200 s bucket went back to 0


@covers("aggregates/audit")
def test_the_audit_names_both_sides_of_a_difference(store: EventStore) -> None:
    run(store, "INSERT INTO agg_rejects VALUES ('customs.revenue', 'invalid_json', 2)")
    rebuilt = contribution("agg_rejects")
    assert run(store, statement("aggregates/audit", table="agg_rejects", contribution=rebuilt)) == [
        ("in agg_rejects, not recomputed from the rows", "customs.revenue", "invalid_json", 2)
    ]


# -- sql/metrics -------------------------------------------------------------------------------

AS_OF = datetime(2021, 3, 2, 12, 0, tzinfo=ICT)


@pytest.fixture
def loaded(store: EventStore) -> EventStore:
    for name, events in EVENTS.items():
        spec = EVENT_TYPES[name]
        store.write_batch([(spec, decode_batch(spec, raw_batch(spec.topic, [*events, b"{"]), NOW))], {}, NOW)
    return store


def metric(store: EventStore, name: str) -> list[tuple]:  # type: ignore[type-arg]
    return run(store, statement(f"metrics/{name}"), {"as_of": AS_OF} if "$as_of" in statement(f"metrics/{name}") else {})


@covers("metrics/event_clock", "metrics/streams", "metrics/records", "metrics/rejects")
def test_clock_streams_records_and_rejects(loaded: EventStore) -> None:
    assert metric(loaded, "event_clock") == [(datetime(2021, 3, 2, 2, 0, tzinfo=UTC),)]
    assert metric(loaded, "streams") == [
        ("03", "declarations", datetime(2021, 3, 1, 4, 0, tzinfo=UTC).timestamp(), 3),
        ("03", "revenue", datetime(2021, 3, 2, 2, 0, tzinfo=UTC).timestamp(), 3),
        ("03", "seizures", datetime(2021, 3, 2, 1, 0, tzinfo=UTC).timestamp(), 2),
    ]
    assert metric(loaded, "records") == [
        ("customs.declarations", "accepted", 3),
        ("customs.declarations", "rejected", 1),
        ("customs.revenue", "accepted", 3),
        ("customs.revenue", "rejected", 1),
        ("customs.seizures", "accepted", 2),
        ("customs.seizures", "rejected", 1),
    ]
    assert metric(loaded, "rejects") == [(t, "invalid_json", 1) for t in ("customs.declarations", "customs.revenue", "customs.seizures")]


@covers("metrics/revenue_totals", "metrics/revenue_by_tax_type", "metrics/declarations", "metrics/seizures", "metrics/release")
def test_all_time_counters(loaded: EventStore) -> None:
    totals = metric(loaded, "revenue_totals")
    assert len(totals) == 35 and ("03", 15, 3) in totals and ("01", 0, 0) in totals
    assert metric(loaded, "revenue_by_tax_type") == [("03", "vat", "collection", 15), ("03", "vat", "refund", 3)]
    assert metric(loaded, "declarations") == [("03", "import", "red", 1)]  # registered only
    assert metric(loaded, "seizures") == [("03", "drugs", 1, 50, 0), ("03", "smuggling", 1, 100, 1)]
    release = metric(loaded, "release")
    assert [(c, le, n) for c, le, n, _, _ in release] == [
        ("red", float(b), int(b >= 7200)) for b in (900, 1800, 3600, 7200, 14400, 28800, 86400, 172800, 345600, 691200)
    ]
    assert {(total, seconds) for *_, total, seconds in release} == {(1, 7200.0)}


@covers("metrics/same_period_last_year")
def test_the_same_period_a_year_before(store: EventStore) -> None:
    """1 January to as_of a year earlier, local time: the first instant of the year in, a moment after as_of out."""
    events = [
        revenue(event_id="y1", amount_vnd=7, occurred_at="2020-01-01T00:00:00+07:00"),  # the year's first instant
        revenue(event_id="y2", amount_vnd=11, occurred_at="2020-03-01T09:00:00+07:00"),  # a whole day before
        revenue(event_id="y3", amount_vnd=13, occurred_at="2020-03-02T12:00:00+07:00"),  # as_of a year back, to the second
        revenue(event_id="y4", amount_vnd=1000, occurred_at="2020-03-02T12:00:01+07:00"),  # a second after
        revenue(event_id="y5", amount_vnd=2, kind="refund", occurred_at="2020-02-01T09:00:00+07:00"),
        revenue(event_id="y6", amount_vnd=500, occurred_at="2019-12-31T23:59:59+07:00"),  # the year before that
        revenue(event_id="y7", department_code="15", amount_vnd=5, occurred_at="2021-03-01T09:00:00+07:00"),  # this year
    ]
    spec = EVENT_TYPES["revenue"]
    store.write_batch([(spec, decode_batch(spec, raw_batch(spec.topic, events), NOW))], {}, NOW)
    assert metric(store, "same_period_last_year") == [("03", 7 + 11 + 13 - 2)]


@covers("metrics/progress", "metrics/national_progress", "metrics/targets_in_force", "metrics/period_cases")
def test_figures_at_as_of(loaded: EventStore) -> None:
    progress = {(d, level): rest for d, level, *rest in metric(loaded, "progress")}
    assert progress[("03", "assigned")][:2] == [10 + 5 - 3, 56_000 * 10**9]  # ytd up to 2 March noon, target
    assert progress[("01", "estimate")][0] == 0
    national = metric(loaded, "national_progress")
    assert [(level, ytd, target) for level, ytd, target, *_ in national] == [
        ("estimate", 12, 315_000 * 10**9),
        ("striving", 12, 330_750 * 10**9),
    ]
    assert ("national", "estimate", "official") in metric(loaded, "targets_in_force")
    assert metric(loaded, "period_cases") == [("03", "drugs", 1), ("03", "smuggling", 1)]  # 16 February to 15 March


# -- sql/verify --------------------------------------------------------------------------------


def _insert(store: EventStore, name: str, table: str, events: list[dict], batch_seq: int, first: int = 0) -> None:  # type: ignore[type-arg]
    spec = EVENT_TYPES[name]
    rows = decode_batch(spec, raw_batch(spec.topic, events, 0, first), NOW).accepted
    run(store, statement("write/insert_events", table=table), {"now": NOW, "batch_seq": batch_seq}, new_events=rows)


def _offsets(store: EventStore, next_offset: int, topic_id: str | None = "id-A") -> None:
    offsets = pl.DataFrame({"topic": ["customs.revenue"], "partition": [0], "next_offset": [next_offset], "topic_id": [topic_id]})
    run(
        store,
        statement("write/upsert_offsets"),
        {"now": NOW},
        incoming_offsets=offsets.cast({"partition": pl.Int32, "topic_id": pl.String}),
    )


@covers("verify/offsets", "verify/stored_offsets", "verify/totals")
def test_positions_against_the_committed_offsets(store: EventStore) -> None:
    _insert(store, "revenue", "revenue", [revenue(event_id="a"), revenue(event_id="b")], batch_seq=1)  # offsets 0 and 1
    dups = pl.DataFrame({"source_topic": ["customs.revenue"], "source_partition": [0], "source_offset": [2], "event_id": ["a"]})
    run(store, statement("write/insert_duplicates"), {"now": NOW, "batch_seq": 2}, new_duplicates=dups)
    rejects = pl.DataFrame([("customs.revenue", 0, 3, None, b"{", "invalid_json", "bad", None)], schema=REJECT_SCHEMA, orient="row")
    run(store, statement("write/insert_rejects"), {"now": NOW, "batch_seq": 2, "changed_seq": 1}, new_rejects=rejects)
    assert run(store, statement("verify/offsets")) == [("customs.revenue", 0, "records up to offset 3 but no committed offset")]
    _offsets(store, 4)
    assert run(store, statement("verify/offsets")) == []
    assert run(store, statement("verify/stored_offsets")) == [("customs.revenue", 0, 4, "id-A")]
    assert run(store, statement("verify/totals")) == [("customs.revenue", 2, 1, 1, 4)]
    _offsets(store, 3)  # the store holds a record at 3 that the committed offset says was not read
    assert run(store, statement("verify/offsets")) == [
        ("customs.revenue", 0, "a record at offset 3, at or past the committed next offset 3")
    ]
    _offsets(store, 4)
    again = pl.DataFrame({"source_topic": ["customs.revenue"], "source_partition": [0], "source_offset": [1], "event_id": ["b"]})
    run(store, statement("write/insert_duplicates"), {"now": NOW, "batch_seq": 2}, new_duplicates=again)  # position 1 twice
    assert run(store, statement("verify/offsets")) == [("customs.revenue", 0, "5 records share 4 positions")]
    # A new log accepted after batch 2: its records number positions again from 0; only they are checked.
    run(store, statement("write/end_batch"), {"batch_seq": 2, "changed_seq": 1})
    run(store, statement("write/accept_new_log"), {"topic": "customs.revenue", "partition": 0, "now": NOW, "by": "ops", "note": None})
    run(store, statement("write/forget_offset"), {"topic": "customs.revenue", "partition": 0})
    _insert(store, "revenue", "revenue", [revenue(event_id="c")], batch_seq=3)  # offset 0 of the new log
    assert run(store, statement("verify/offsets")) == [("customs.revenue", 0, "records up to offset 0 but no committed offset")]
    _offsets(store, 1)
    assert run(store, statement("verify/offsets")) == []


@pytest.fixture
def with_lake(store: EventStore, tmp_path: Path) -> EventStore:
    """The store with a DuckLake (SQLite catalog) attached as `lake`, holding the lake's tables (empty)."""
    attach(store._con, lake_for(tmp_path / "x.duckdb"), read_only=False)
    for table in ("declarations", "revenue", "seizures", "rejects", "agg_revenue_day"):
        store._con.execute(f"CREATE TABLE lake.{table} AS SELECT * FROM main.{table} LIMIT 0")
    return store


def _lake_version(store: EventStore) -> int:
    return int(run(store, "SELECT id FROM ducklake_current_snapshot('lake')")[0][0])


@covers("verify/lake_events", "verify/lake_rejects", "verify/published")
def test_the_lake_against_the_store(with_lake: EventStore) -> None:
    store = with_lake
    _insert(store, "revenue", "revenue", [revenue(event_id="a", amount_vnd=5), revenue(event_id="b", amount_vnd=7)], batch_seq=1)
    _insert(store, "seizure", "seizures", [seizure(event_id="s", goods_value_vnd=9)], batch_seq=2)
    rejects = pl.DataFrame([("customs.revenue", 0, 9, None, b"{", "invalid_json", "bad", None)], schema=REJECT_SCHEMA, orient="row")
    run(store, statement("write/insert_rejects"), {"now": NOW, "batch_seq": 2, "changed_seq": 1}, new_rejects=rejects)
    _insert(store, "revenue", "revenue", [revenue(event_id="c", amount_vnd=100)], batch_seq=3, first=10)  # not published yet
    amounts = {"revenue": "amount_vnd", "seizures": "goods_value_vnd"}

    def lake_events(table: str) -> list[tuple]:  # type: ignore[type-arg]
        return run(store, statement("verify/lake_events", table=table, alias="lake", amount=amounts[table]), {"upto": 2})

    day = date(2021, 6, 1)
    assert lake_events("revenue") == [("03", day, "store 2 rows, amount 12; lake 0 rows, amount 0")]
    assert run(store, statement("verify/lake_rejects", alias="lake"), {"upto": 2}) == [
        ("customs.revenue", "invalid_json", "store 1 rejects; lake 0")
    ]
    empty = _lake_version(store)
    published = run(store, statement("verify/published", alias="lake"), {"after": 0, "upto": 2, "version": empty})
    assert published == [
        ("rejects", "batches 1 to 2: store 1 rows, amount 0; lake 0 rows, amount 0"),
        ("revenue", "batches 1 to 2: store 2 rows, amount 12; lake 0 rows, amount 0"),
        ("seizures", "batches 1 to 2: store 1 rows, amount 9; lake 0 rows, amount 0"),
    ]
    tables = ("revenue", "seizures", "rejects")
    copies = "; ".join(f"INSERT INTO lake.{table} SELECT * FROM main.{table} WHERE batch_seq <= 2" for table in tables)
    run(store, f"BEGIN; {copies}; COMMIT")  # published: batches 1 and 2, in one snapshot
    version = _lake_version(store)
    assert lake_events("revenue") == lake_events("seizures") == []
    assert run(store, statement("verify/lake_rejects", alias="lake"), {"upto": 2}) == []
    assert run(store, statement("verify/published", alias="lake"), {"after": 0, "upto": 2, "version": version}) == []
    # Only that snapshot's insertions count: batch 3, published next, is checked against its own.
    run(store, "INSERT INTO lake.revenue SELECT * REPLACE (amount_vnd + 1 AS amount_vnd) FROM main.revenue WHERE batch_seq = 3")
    assert run(store, statement("verify/published", alias="lake"), {"after": 0, "upto": 2, "version": version}) == []
    assert run(store, statement("verify/published", alias="lake"), {"after": 2, "upto": 3, "version": _lake_version(store)}) == [
        ("revenue", "batches 3 to 3: store 1 rows, amount 100; lake 1 rows, amount 101")
    ]
    run(store, "DELETE FROM lake.revenue WHERE event_id = 'c'")  # the lake up to batch 2 again
    run(store, "UPDATE lake.revenue SET amount_vnd = 8 WHERE event_id = 'b'")  # same count, another sum
    assert lake_events("revenue") == [("03", day, "store 2 rows, amount 12; lake 2 rows, amount 13")]
    # Where a store took a row (position, batch, time) is not compared: a replica pair's lake holds
    # rows the other replica took, and identical duplicates it took from another partition.
    run(store, "UPDATE lake.revenue SET amount_vnd = 7, batch_seq = 9, source_partition = 4, source_offset = 99 WHERE event_id = 'b'")
    assert lake_events("revenue") == []
    run(store, "UPDATE lake.revenue SET receipt_no = 'other' WHERE event_id = 'b'")
    assert lake_events("revenue") == [
        ("03", day, "store 2 rows, amount 12; lake 2 rows, amount 12; the same count and amount, but values differ in other columns")
    ]


def test_every_file_has_a_test() -> None:
    """Every statement of every folder of sql/ but the migrations has an input-to-expected test,
    marked @covers (here, or in test_views, test_kpi_sql, test_queries, test_lake, test_verify, test_report)."""
    files = {
        str(p.relative_to(sql_dir()).with_suffix(""))
        for folder in ("write", "aggregates", "metrics", "verify", "lake", "report", "views", "queries")
        for p in (sql_dir() / folder).rglob("*.sql")
    }
    marks = covered()
    assert files - set(marks) == set()
    assert set(marks) - files == set()  # a mark names a file that exists
