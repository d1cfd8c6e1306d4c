"""The event contract: JSON Schema files, topics and reference data (shared/contract/EVENTS.md)."""

from streams.contract.events import (
    DLQ_TOPIC,
    EVENT_TYPES,
    TOPICS,
    EventSpec,
    FieldSpec,
    spec_for_topic,
)
from streams.contract.reference import Department, department_codes, departments

__all__ = [
    "DLQ_TOPIC",
    "EVENT_TYPES",
    "TOPICS",
    "Department",
    "EventSpec",
    "FieldSpec",
    "department_codes",
    "departments",
    "spec_for_topic",
]
