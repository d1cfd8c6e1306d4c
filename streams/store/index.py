"""What the writer asks its on-disk index (state.py): which event_ids are stored and where, and
each declaration's release pairing; and how the index catches up with DuckDB."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field

import duckdb
import polars as pl

from streams.contract.events import EVENT_TYPES
from streams.store import release
from streams.store.sqlfiles import relation, statement
from streams.store.state import StateStore

log = logging.getLogger(__name__)
CATCH_UP_CHUNK = 500_000  # rows per index write while catching up


def event_key(stream: str, event_id: pl.Expr) -> pl.Expr:
    return pl.concat_str([pl.lit(f"e:{stream}:"), event_id])


def event_entries(stream: str, rows: pl.DataFrame) -> pl.DataFrame:
    """(key, value) entries for stored events: where each one is."""
    return rows.select(
        event_key(stream, pl.col("event_id")).alias("key"),
        pl.format("{}:{}", "source_partition", "source_offset").alias("value"),
    )


@dataclass
class IndexWrites:
    """What one batch adds to the index once DuckDB has committed it."""

    entries: list[pl.DataFrame] = field(default_factory=list)

    def add(self, frame: pl.DataFrame) -> None:
        if frame.height:
            self.entries.append(frame)


class Index:
    def __init__(self, state: StateStore) -> None:
        self.state = state

    def seen(self, stream: str, event_ids: pl.Series) -> pl.DataFrame:
        """The event_ids already stored, with the partition and offset they were stored from."""
        values = self.state.get(pl.select(event_key(stream, pl.lit(event_ids))).to_series())
        found = pl.DataFrame({"event_id": event_ids, "value": values}).filter(pl.col("value").is_not_null())
        location = pl.col("value").str.split_exact(":", 1)
        return found.select(
            "event_id",
            location.struct.field("field_0").cast(pl.Int32).alias("stored_partition"),
            location.struct.field("field_1").cast(pl.Int64).alias("stored_offset"),
        )

    def release_states(self, numbers: pl.Series) -> pl.DataFrame:
        """The stored pairing state of each declaration_no (all nulls where there is none yet)."""
        values = self.state.get(pl.select(release.state_key(pl.lit(numbers))).to_series())
        return release.decode(numbers, values)

    def release_update(self, rows: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Merge registered and cleared rows into their states: (histogram deltas, index entries)."""
        new = release.firsts(rows)
        if new.is_empty():
            return pl.DataFrame(schema={"department_code": pl.String, "channel": pl.String, "release_us": pl.Int64, "sign": pl.Int64}), new
        old = self.release_states(new["declaration_no"])
        merged = release.merge(old, new)
        moved = release.changed(old, merged)
        return release.deltas(old, merged), release.encode(merged.filter(moved))


def catch_up(con: duckdb.DuckDBPyConnection, index: Index, after: int, upto: int, store_id: str) -> int:
    """Write the index entries of every batch after `after` up to `upto` (all rows for after = -1).

    Idempotent: entries already in the index are written again unchanged. Returns the rows read."""
    started, rows = time.monotonic(), 0
    for spec in EVENT_TYPES.values():
        reader = con.sql(statement("write/index_events", table=relation(spec.table)), params={"after": after}).to_arrow_reader(
            CATCH_UP_CHUNK
        )
        for chunk in reader:
            frame = pl.DataFrame(pl.from_arrow(chunk))
            index.state.write([event_entries(spec.stream, frame)], after, store_id)
            rows += frame.height
    reader = con.sql(statement("write/index_declarations"), params={"after": after}).to_arrow_reader(CATCH_UP_CHUNK)
    for chunk in reader:  # a declaration split across chunks is merged again: merging is idempotent
        frame = pl.DataFrame(pl.from_arrow(chunk))
        _, entries = index.release_update(frame)
        index.state.write([entries], after, store_id)
    index.state.write([], upto, store_id)
    if rows:
        log.info("index caught up with %d stored events (batches %d to %d) in %.1f s", rows, after + 1, upto, time.monotonic() - started)
    return rows
