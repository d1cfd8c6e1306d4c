"""Duplicates inside one batch: the first occurrence of an event_id wins.

A later row with the same event_id and the same content is a duplicate (counted, not stored);
with different content it is a conflict (rejected). Duplicates of events stored by earlier
batches are found by the store, in the write transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from streams.contract.events import EventSpec
from streams.decode.reasons import RejectReason
from streams.decode.result import REJECT_SCHEMA

SOURCE = ["source_topic", "source_partition", "source_offset"]


@dataclass(frozen=True)
class Deduplicated:
    unique: pl.DataFrame
    duplicates: pl.DataFrame  # SOURCE + event_id
    conflicts: pl.DataFrame  # rejects-shaped


def content_columns(spec: EventSpec) -> list[str]:
    return list(spec.field_names)


def against(rows: pl.DataFrame, reference: pl.DataFrame, spec: EventSpec) -> pl.DataFrame:
    """Rows joined to the reference row of their event_id (its columns prefixed ref_), with `same`:
    whether every contract field is equal (null equals null)."""
    content = [c for c in content_columns(spec) if c != "event_id"]
    ref = reference.select(["event_id", *content, *SOURCE]).rename({c: f"ref_{c}" for c in content + SOURCE})
    joined = rows.join(ref, on="event_id", how="inner")
    return joined.with_columns(pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"ref_{c}")) for c in content]).alias("same"))


def conflicts(joined: pl.DataFrame, detail: str) -> pl.DataFrame:
    """Rejects for the rows of `against` whose content differs; detail takes the event_id and the reference's source."""
    return (
        joined.filter(~pl.col("same"))
        .select(
            *SOURCE,
            "message_key",
            "raw_value",
            pl.lit(RejectReason.CONFLICTING_DUPLICATE.value).alias("reason"),
            pl.format(detail, "event_id", *[f"ref_{c}" for c in SOURCE]).alias("detail"),
            "event_id",
        )
        .cast(pl.Schema(REJECT_SCHEMA))
    )


def duplicates(joined: pl.DataFrame) -> pl.DataFrame:
    """The rows of `against` with the same content: where each came from, and its event_id."""
    return joined.filter(pl.col("same")).select([*SOURCE, "event_id"])


def split_duplicates(accepted: pl.DataFrame, spec: EventSpec) -> Deduplicated:
    """Split accepted rows (in arrival order) into first occurrences, duplicates and conflicts."""
    first = accepted.select(pl.col("event_id").is_first_distinct()).to_series()
    unique, repeats = accepted.filter(first), accepted.filter(~first)
    if repeats.is_empty():
        empty = pl.DataFrame(schema={**{c: accepted.schema[c] for c in SOURCE}, "event_id": pl.String})
        return Deduplicated(unique, empty, pl.DataFrame(schema=REJECT_SCHEMA))
    joined = against(repeats, unique, spec)
    return Deduplicated(unique, duplicates(joined), conflicts(joined, "event_id {} was first seen at {}[{}]@{} with different content"))
