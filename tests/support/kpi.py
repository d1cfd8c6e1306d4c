"""/metrics over known rows: the store and registry test_collector and test_exposition read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from prometheus_client import CollectorRegistry

from streams.config import ConsumerSettings, KafkaConnection
from streams.consume.runner import build_registry
from streams.contract import EVENT_TYPES
from streams.decode import decode_batch
from streams.kpi.targets import load_targets
from streams.store import EventStore, open_store, write_reference
from tests.support.factories import declaration, raw_batch, revenue, seizure

ICT = timezone(timedelta(hours=7))
AS_OF = datetime(2021, 3, 10, 12, 0, tzinfo=ICT)
EARLIER = "2021-03-05T10:00:00+07:00"


def kpi_store(tmp_path: Path) -> EventStore:
    """A store holding one batch of each stream around AS_OF (and one bad message each), as the consumer writes it."""
    store = open_store(tmp_path / "db.duckdb")
    write_reference(store, load_targets())  # as the consumer does on start
    now = AS_OF.astimezone(UTC)
    batches = {
        "revenue": [
            revenue(department_code="03", office_code="03CC", amount_vnd=5_000_000_000_000, occurred_at="2021-02-01T08:00:00+07:00"),
            revenue(
                department_code="03", office_code="03CC", kind="refund", amount_vnd=200_000_000_000, occurred_at="2021-03-01T08:00:00+07:00"
            ),
            revenue(
                department_code="15",
                office_code="15BB",
                tax_type="import_duty",
                amount_vnd=300_000_000_000,
                occurred_at="2021-03-09T08:00:00+07:00",
            ),
            # last year (local): counts in the all-time counter, not in ytd
            revenue(department_code="15", office_code="15BB", amount_vnd=7_000_000, occurred_at="2020-12-31T16:59:59Z"),
            # after as_of: not in ytd
            revenue(department_code="03", office_code="03CC", amount_vnd=11, occurred_at="2021-03-10T12:00:01+07:00"),
        ],
        "declaration": [
            declaration(event_id="d-1", channel="red", occurred_at=EARLIER),
            declaration(event_id="d-2", channel="red", occurred_at=EARLIER),
            declaration(status="cleared", channel="red", occurred_at=EARLIER),
            declaration(
                event_id="d-3", department_code="15", office_code=None, flow="export", type_code="B11", channel="green", occurred_at=EARLIER
            ),
            # released 3.5 hours after registration
            declaration(declaration_no="109999999999", channel="green", occurred_at="2021-03-05T10:00:00+07:00"),
            declaration(declaration_no="109999999999", status="cleared", channel="green", occurred_at="2021-03-05T13:30:00+07:00"),
        ],
        "seizure": [
            seizure(category="drugs", drug_quantity=1.5, drug_unit="kg", goods_value_vnd=900, prosecuted=True, occurred_at=EARLIER),
            seizure(goods_value_vnd=100, occurred_at=EARLIER),
            # the reporting period before the one of as_of (16 January to 15 February)
            seizure(category="wildlife", goods_value_vnd=5, occurred_at="2021-02-15T23:59:59+07:00"),
        ],
    }
    decoded = []
    for name, values in batches.items():
        spec = EVENT_TYPES[name]
        decoded.append((spec, decode_batch(spec, raw_batch(spec.topic, [*values, b"{oops"]), now)))
    store.write_batch(decoded, {}, now)
    return store


def kpi_registry(tmp_path: Path, clock: str = "wall") -> tuple[CollectorRegistry, EventStore]:
    """The consumer's /metrics registry over kpi_store, its wall clock at AS_OF."""
    store = kpi_store(tmp_path)
    settings = ConsumerSettings(kafka=KafkaConnection("127.0.0.1:1"), db_path=tmp_path / "db.duckdb", metrics_port=0, clock=clock)
    registry, _ = build_registry(store, settings, lambda: AS_OF.astimezone(UTC))
    return registry, store
