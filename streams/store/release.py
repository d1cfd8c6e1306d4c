"""Release-time pairing, kept incrementally in the index and in agg_release.

A declaration's release time is its cleared event's occurred_at minus its registered event's.
The contract allows one registered and at most one cleared event per declaration; should there be
more, the earliest of each (by occurred_at, then event_id) make the pair. That choice does not
depend on arrival order, so pairing batch by batch gives exactly what `sql/views/release_times.sql`
computes from all rows at once, whichever of the two events comes first, even a late earlier one.

The index keeps, per declaration_no, the earliest registered event (time, event_id, channel,
department) and the earliest cleared event (time, event_id) stored so far. A batch's events are
merged into those states; where the pair changes, the old pair leaves the histogram (-1) and the
new one enters it (+1): `deltas`. Nothing here scans stored rows.
"""

from __future__ import annotations

import polars as pl

STATE = {
    "r_us": pl.Int64(),
    "r_event_id": pl.String(),
    "r_channel": pl.String(),
    "r_department": pl.String(),
    "c_us": pl.Int64(),
    "c_event_id": pl.String(),
}
SEP = "|"  # never in an event_id, a channel or a department code (their patterns say so)
_R, _C = ["r_us", "r_event_id", "r_channel", "r_department"], ["c_us", "c_event_id"]


def state_key(number: pl.Expr) -> pl.Expr:
    return pl.concat_str([pl.lit("d:"), number])


def firsts(rows: pl.DataFrame) -> pl.DataFrame:
    """Per declaration_no of registered and cleared rows: the earliest of each status."""
    rows = rows.select(
        "declaration_no",
        "status",
        pl.col("occurred_at").dt.epoch("us").alias("us"),
        "event_id",
        "channel",
        "department_code",
    ).sort("declaration_no", "us", "event_id")
    registered = (
        rows.filter(pl.col("status") == "registered")
        .unique("declaration_no", keep="first", maintain_order=True)
        .select("declaration_no", r_us="us", r_event_id="event_id", r_channel="channel", r_department="department_code")
    )
    cleared = (
        rows.filter(pl.col("status") == "cleared")
        .unique("declaration_no", keep="first", maintain_order=True)
        .select("declaration_no", c_us="us", c_event_id="event_id")
    )
    return registered.join(cleared, on="declaration_no", how="full", coalesce=True).cast(pl.Schema(STATE))


def decode(numbers: pl.Series, values: pl.Series) -> pl.DataFrame:
    """States stored in the index (null values: none yet) as columns."""
    parts = values.fill_null(SEP * (len(STATE) - 1)).str.split_exact(SEP, len(STATE) - 1).struct.rename_fields(list(STATE))
    frame = pl.DataFrame({"declaration_no": numbers, "state": parts}).unnest("state")
    return frame.select("declaration_no", *[pl.when(pl.col(n) != "").then(pl.col(n)).cast(t).alias(n) for n, t in STATE.items()])


def encode(states: pl.DataFrame) -> pl.DataFrame:
    """(key, value) index entries of states."""
    return states.select(
        state_key(pl.col("declaration_no")).alias("key"),
        pl.concat_str([pl.col(n).cast(pl.String).fill_null("") for n in STATE], separator=SEP).alias("value"),
    )


def _earlier(a: list[str], b: list[str]) -> pl.Expr:
    """Whether side a (time, event_id) comes before side b, a null side coming last."""
    return pl.col(b[0]).is_null() | (
        pl.col(a[0]).is_not_null() & ((pl.col(a[0]) < pl.col(b[0])) | ((pl.col(a[0]) == pl.col(b[0])) & (pl.col(a[1]) <= pl.col(b[1]))))
    )


def merge(old: pl.DataFrame, new: pl.DataFrame) -> pl.DataFrame:
    """Old states and a batch's firsts -> the states after the batch (old has a row per number of new)."""
    joined = old.join(new, on="declaration_no", how="left", suffix="_new")
    keep_r, keep_c = _earlier(_R[:2], [f"{c}_new" for c in _R[:2]]), _earlier(_C, [f"{c}_new" for c in _C])
    return joined.select(
        "declaration_no",
        *[pl.when(keep_r).then(pl.col(c)).otherwise(pl.col(f"{c}_new")).alias(c) for c in _R],
        *[pl.when(keep_c).then(pl.col(c)).otherwise(pl.col(f"{c}_new")).alias(c) for c in _C],
    )


def _pair(frame: pl.DataFrame, sign: int) -> pl.DataFrame:
    return frame.filter(pl.col("r_us").is_not_null() & pl.col("c_us").is_not_null()).select(
        pl.col("r_department").alias("department_code"),
        pl.col("r_channel").alias("channel"),
        (pl.col("c_us") - pl.col("r_us")).alias("release_us"),
        pl.lit(sign, pl.Int64).alias("sign"),
    )


def changed(old: pl.DataFrame, merged: pl.DataFrame) -> pl.Series:
    """Per row: whether the state moved (rows aligned by declaration_no)."""
    same = pl.Series("same", [True] * old.height, dtype=pl.Boolean)
    for name in STATE:
        same &= old[name].eq_missing(merged[name])
    return ~same


def deltas(old: pl.DataFrame, merged: pl.DataFrame) -> pl.DataFrame:
    """Histogram changes: -1 for each pair that no longer counts, +1 for each that now does."""
    moved = changed(old, merged)
    return pl.concat([_pair(old.filter(moved), -1), _pair(merged.filter(moved), 1)], how="vertical")
