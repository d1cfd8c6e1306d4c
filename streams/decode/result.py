"""The decoder's output for one topic's share of a batch."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

REJECT_SCHEMA: dict[str, pl.DataType] = {
    "source_topic": pl.String(),
    "source_partition": pl.Int32(),
    "source_offset": pl.Int64(),
    "message_key": pl.Binary(),
    "raw_value": pl.Binary(),
    "reason": pl.String(),
    "detail": pl.String(),
    "event_id": pl.String(),
}


@dataclass(frozen=True)
class DecodedBatch:
    """Accepted rows (typed, contract columns plus source columns) and rejected messages."""

    accepted: pl.DataFrame
    rejects: pl.DataFrame

    @property
    def size(self) -> int:
        return self.accepted.height + self.rejects.height
