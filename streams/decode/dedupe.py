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


def split_duplicates(accepted: pl.DataFrame, spec: EventSpec) -> Deduplicated:
    """Split accepted rows (in arrival order) into first occurrences, duplicates and conflicts."""
    first = accepted.select(pl.col("event_id").is_first_distinct()).to_series()
    unique, repeats = accepted.filter(first), accepted.filter(~first)
    if repeats.is_empty():
        empty = pl.DataFrame(schema={**{c: accepted.schema[c] for c in SOURCE}, "event_id": pl.String})
        return Deduplicated(unique, empty, pl.DataFrame(schema=REJECT_SCHEMA))
    content = content_columns(spec)
    firsts = unique.select(content + SOURCE).rename({c: f"first_{c}" for c in content + SOURCE if c != "event_id"})
    joined = repeats.join(firsts, on="event_id", how="left")
    same = pl.all_horizontal([pl.col(c).eq_missing(pl.col(f"first_{c}")) for c in content if c != "event_id"])
    joined = joined.with_columns(same.alias("_same"))
    duplicates = joined.filter(pl.col("_same")).select([*SOURCE, "event_id"])
    conflicts = (
        joined.filter(~pl.col("_same"))
        .select(
            *SOURCE,
            "message_key",
            "raw_value",
            pl.lit(RejectReason.CONFLICTING_DUPLICATE.value).alias("reason"),
            pl.format(
                "event_id {} was first seen at {}[{}]@{} with different content",
                pl.col("event_id"),
                pl.col("first_source_topic"),
                pl.col("first_source_partition"),
                pl.col("first_source_offset"),
            ).alias("detail"),
            "event_id",
        )
        .cast(REJECT_SCHEMA)
    )  # type: ignore[arg-type]
    return Deduplicated(unique, duplicates, conflicts)
