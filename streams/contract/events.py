"""Event specs read from the versioned JSON Schema files, the single source of truth for fields."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

SCHEMA_VERSION = 1
DLQ_TOPIC = "customs.dlq"
# `customs-kpi rejects replay` re-sends a stored reject with this header: "topic/partition/offset" of
# the original. The consumer honours it only when the value is byte-for-byte the stored reject's.
REPLAY_HEADER = "customs_kpi.replay_of"
LEADER_TOPIC = "customs-kpi.leader"  # one partition: its owner in a replica pair's election group leads the lake


def replay_header(topic: str, partition: int, offset: int) -> tuple[str, bytes]:
    return REPLAY_HEADER, f"{topic}/{partition}/{offset}".encode()


def parse_replay_header(value: bytes) -> tuple[str, int, int] | None:
    """The original (topic, partition, offset), or None when the header is not well formed."""
    try:
        topic, partition_text, offset_text = value.decode("ascii").rsplit("/", 2)
        partition, offset = int(partition_text), int(offset_text)
    except (UnicodeDecodeError, ValueError):
        return None
    # Kafka's own limits: a topic name of at most 249 characters, a 32-bit partition, a 64-bit offset.
    if not 0 < len(topic) <= 249 or not 0 <= partition < 2**31 or not 0 <= offset < 2**63:
        return None
    return topic, partition, offset


EVENT_TYPE_NAMES = ("declaration", "revenue", "seizure")


@dataclass(frozen=True)
class FieldSpec:
    """One event field: its JSON type and the value rules the decoder enforces."""

    name: str
    json_type: str  # "string", "integer", "number" or "boolean"
    required: bool
    enum: tuple[str, ...] | None = None
    pattern: str | None = None
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None


@dataclass(frozen=True)
class EventSpec:
    """One event type: its topic, table and fields in schema order."""

    event_type: str
    topic: str
    table: str
    stream: str
    fields: tuple[FieldSpec, ...]
    schema: dict[str, Any]

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _field(name: str, prop: dict[str, Any], required: set[str]) -> FieldSpec:
    types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
    json_type = next(t for t in types if t != "null")
    enum = prop.get("enum")
    if enum is None and "const" in prop and isinstance(prop["const"], str):
        enum = [prop["const"]]
    return FieldSpec(
        name=name,
        json_type=json_type,
        required=name in required,
        enum=tuple(v for v in enum if v is not None) if enum else None,
        pattern=prop.get("pattern"),
        min_length=prop.get("minLength"),
        max_length=prop.get("maxLength"),
        minimum=prop.get("minimum"),
        exclusive_minimum=prop.get("exclusiveMinimum"),
        exclusive_maximum=prop.get("exclusiveMaximum"),
    )


def load_schema(event_type: str, version: int = SCHEMA_VERSION) -> dict[str, Any]:
    """The JSON Schema document of one event type and version, as shipped in the package."""
    text = resources.files("streams.contract").joinpath(f"schemas/{event_type}.v{version}.json").read_text("utf-8")
    schema: dict[str, Any] = json.loads(text)
    return schema


@cache
def _specs() -> dict[str, EventSpec]:
    specs = {}
    for name in EVENT_TYPE_NAMES:
        schema = load_schema(name)
        required = set(schema["required"])
        fields = tuple(_field(n, p, required) for n, p in schema["properties"].items())
        topic = schema["x-topic"]
        table = topic.split(".", 1)[1]
        specs[name] = EventSpec(name, topic, table, table, fields, schema)
    return specs


EVENT_TYPES: dict[str, EventSpec] = _specs()
TOPICS: tuple[str, ...] = tuple(s.topic for s in EVENT_TYPES.values())


def spec_for_topic(topic: str) -> EventSpec | None:
    """The event spec whose topic this is, or None for a topic outside the contract."""
    for spec in EVENT_TYPES.values():
        if spec.topic == topic:
            return spec
    return None
