"""Contract-valid events for tests, built by hand (independent of the simulator)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import count
from typing import Any

from streams.decode.batch import RawBatch

_ids = count(1)
NOW = datetime(2021, 6, 15, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam


def _common(event_type: str, **over: Any) -> dict[str, Any]:
    return {
        "event_id": f"t-{event_type}-{next(_ids)}",
        "event_type": event_type,
        "schema_version": 1,
        "occurred_at": "2021-06-01T09:30:00+07:00",
        "department_code": "03",
        **over,
    }


def revenue(**over: Any) -> dict[str, Any]:
    base = {
        "receipt_no": "BL0001",
        "kind": "collection",
        "tax_type": "vat",
        "amount_vnd": 1_500_000_000,
        "enterprise_tax_code": "0201234567",
        "office_code": "03CC",
    }
    return {**_common("revenue"), **base, **over}


def declaration(**over: Any) -> dict[str, Any]:
    base = {
        "declaration_no": "101234567890",
        "status": "registered",
        "type_code": "A11",
        "flow": "import",
        "channel": "green",
        "enterprise_tax_code": "0201234567",
        "hs_code": "85171200",
        "customs_value_usd": 25000.5,
    }
    return {**_common("declaration"), **base, **over}


def seizure(**over: Any) -> dict[str, Any]:
    base = {
        "case_id": "VP0001",
        "category": "smuggling",
        "goods_value_vnd": 250_000_000,
        "budget_collected_vnd": 30_000_000,
        "prosecuted": False,
        "transferred": True,
        "route": "road",
    }
    return {**_common("seizure"), **base, **over}


def encode(event: dict[str, Any]) -> bytes:
    return json.dumps(event, separators=(",", ":")).encode()


def raw_batch(topic: str, values: list[bytes | dict[str, Any]], partition: int = 0, first_offset: int = 0) -> RawBatch:
    encoded = [v if isinstance(v, bytes) else encode(v) for v in values]
    n = len(encoded)
    return RawBatch(topic, [partition] * n, list(range(first_offset, first_offset + n)), [b"03"] * n, encoded)
