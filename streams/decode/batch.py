"""Decode one topic's share of a poll: raw values in, typed accepted rows and rejects out."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import polars as pl

from streams.contract.events import EventSpec
from streams.decode.columns import ROW
from streams.decode.parse import parse_values
from streams.decode.reasons import RejectReason
from streams.decode.result import REJECT_SCHEMA, DecodedBatch
from streams.decode.rules import NOW, SEP, broken_rule, integer, number, occurred_at

MAX_MESSAGE_BYTES = 64 * 1024

_POLARS_TYPES: dict[str, pl.DataType] = {
    "string": pl.String(),
    "integer": pl.Int64(),
    "number": pl.Float64(),
    "boolean": pl.Boolean(),
}


@dataclass(frozen=True)
class RawBatch:
    """The messages of one topic from one poll, as columns."""

    topic: str
    partitions: list[int]
    offsets: list[int]
    keys: list[bytes | None]
    values: list[bytes | None]
    # messages carrying the replay header: (partition, offset, value, original topic, partition, offset)
    replays: list[tuple[int, int, bytes | None, str, int, int]] = field(default_factory=list)

    def joined(self, later: RawBatch) -> RawBatch:
        """This topic's messages followed by those of a later poll."""
        return RawBatch(
            self.topic,
            self.partitions + later.partitions,
            self.offsets + later.offsets,
            self.keys + later.keys,
            self.values + later.values,
            self.replays + later.replays,
        )

    def frame(self) -> pl.DataFrame:
        return pl.DataFrame(
            {
                "source_topic": [self.topic] * len(self.offsets),
                "source_partition": self.partitions,
                "source_offset": self.offsets,
                "message_key": self.keys,
                "raw_value": self.values,
            },
            schema={k: REJECT_SCHEMA[k] for k in ("source_topic", "source_partition", "source_offset", "message_key", "raw_value")},
        ).with_row_index(ROW)


def accepted_schema(spec: EventSpec) -> dict[str, pl.DataType]:
    """Column types of accepted rows: contract fields, then where each came from and its raw bytes.

    The raw bytes travel with the row so that a conflicting duplicate found at write time can
    still be stored as a reject with its bytes."""
    schema = {f.name: _POLARS_TYPES[f.json_type] for f in spec.fields}
    schema["occurred_at"] = pl.Datetime("us", "UTC")
    schema["schema_version"] = pl.Int32()
    return schema | {
        "source_topic": pl.String(),
        "source_partition": pl.Int32(),
        "source_offset": pl.Int64(),
        "message_key": pl.Binary(),
        "raw_value": pl.Binary(),
    }


def _typed(spec: EventSpec) -> list[pl.Expr]:
    exprs = []
    for f in spec.fields:
        if f.name == "occurred_at":
            exprs.append(occurred_at().alias(f.name))
        elif f.json_type == "integer":
            dtype = pl.Int32 if f.name == "schema_version" else pl.Int64
            exprs.append(integer(f.name).value.cast(dtype).alias(f.name))
        elif f.json_type == "number":
            exprs.append(number(f.name).alias(f.name))
        elif f.json_type == "boolean":
            exprs.append((pl.col(f.name) == "true").alias(f.name))
        else:
            exprs.append(pl.col(f.name))
    return exprs


def _rejects(frame: pl.DataFrame, reason: pl.Expr, detail: pl.Expr, event_id: pl.Expr | None = None) -> pl.DataFrame:
    return frame.select(
        ROW,
        "source_topic",
        "source_partition",
        "source_offset",
        "message_key",
        "raw_value",
        reason.alias("reason"),
        detail.alias("detail"),
        (event_id if event_id is not None else pl.lit(None, pl.String)).alias("event_id"),
    )


def decode_batch(spec: EventSpec, raw: RawBatch, now: datetime, exact: bool = False) -> DecodedBatch:
    """Validate a batch against the contract; every message ends up accepted or rejected.

    exact=True parses every message with Python's json instead of Polars' bulk path (the same
    outcome, reason and values, only slower: tests/unit/test_decode_equivalence.py proves it)."""
    frame = raw.frame()
    size = pl.col("raw_value").bin.size().fill_null(0)
    too_large = frame.filter(size > MAX_MESSAGE_BYTES)
    empty = frame.filter(size == 0)
    candidates = frame.filter((size > 0) & (size <= MAX_MESSAGE_BYTES))
    reject_parts = [
        _rejects(
            too_large,
            pl.lit(RejectReason.MESSAGE_TOO_LARGE.value),
            pl.format("message is {} bytes; the limit is {}", size, pl.lit(MAX_MESSAGE_BYTES)),
        ),
        _rejects(empty, pl.lit(RejectReason.INVALID_JSON.value), pl.lit("message value is empty")),
    ]

    parsed, failures = parse_values(candidates[ROW], candidates["raw_value"], spec, exact)
    if failures:
        failed = pl.DataFrame(
            {ROW: [f.row for f in failures], "reason": [f.reason.value for f in failures], "detail": [f.detail for f in failures]},
            schema={ROW: pl.UInt32, "reason": pl.String, "detail": pl.String},
        )
        reject_parts.append(_rejects(candidates.join(failed, on=ROW), pl.col("reason"), pl.col("detail")))

    accepted = pl.DataFrame(schema=accepted_schema(spec))
    if parsed.height:
        checked = parsed.with_columns(pl.lit(now).dt.convert_time_zone("UTC").alias(NOW)).with_columns(
            broken_rule(spec.event_type).alias("_broken")
        )
        checked = candidates.select(ROW, "source_topic", "source_partition", "source_offset", "message_key", "raw_value").join(
            checked, on=ROW
        )
        bad = checked.filter(pl.col("_broken").is_not_null())
        split = pl.col("_broken").str.split_exact(SEP, 1)
        event_id = pl.when(pl.col("event_id").str.len_chars() <= 64).then(pl.col("event_id"))
        reject_parts.append(_rejects(bad, split.struct.field("field_0"), split.struct.field("field_1"), event_id))
        good = checked.filter(pl.col("_broken").is_null()).sort(ROW)
        accepted = good.select([*_typed(spec), "source_topic", "source_partition", "source_offset", "message_key", "raw_value"]).cast(
            pl.Schema(accepted_schema(spec))
        )
    rejects = pl.concat([p.cast({ROW: pl.UInt32}) for p in reject_parts], how="vertical").sort(ROW).drop(ROW).cast(pl.Schema(REJECT_SCHEMA))
    return DecodedBatch(accepted=accepted, rejects=rejects)


REPLAY_SCHEMA: dict[str, pl.DataType] = {
    "source_topic": pl.String(),
    "source_partition": pl.Int32(),
    "source_offset": pl.Int64(),
    "raw_value": pl.Binary(),
    "original_topic": pl.String(),
    "original_partition": pl.Int32(),
    "original_offset": pl.Int64(),
}


def replay_frame(batches: list[RawBatch]) -> pl.DataFrame:
    """The messages of a poll that claim to replay a stored reject, with the reject they name."""
    rows = [(b.topic, *r) for b in batches for r in b.replays]
    return pl.DataFrame(rows, schema=REPLAY_SCHEMA, orient="row")
