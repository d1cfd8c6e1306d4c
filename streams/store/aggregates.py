"""The aggregate tables: a batch's contribution merged in its transaction, and a rebuild from the rows.

Each aggregate's contribution is one SELECT in sql/aggregates/ over the rows it is computed from;
the same text serves a batch (its new rows) and a rebuild or an audit (the stored tables), so the
two can only differ if the merging went wrong.
"""

from __future__ import annotations

import logging
import time

import duckdb
import polars as pl

from streams.store.sqlfiles import placeholders, run, scalar, statement
from streams.store.transaction import transaction

log = logging.getLogger(__name__)
# Merged from a batch's new rows, in this order; agg_release comes from the release pairing.
MERGED = (
    "agg_revenue_day",
    "agg_revenue_total",
    "agg_declarations_day",
    "agg_declarations_total",
    "agg_seizures_day",
    "agg_seizures_total",
    "agg_streams",
    "agg_records",
    "agg_rejects",
)
RELEASE = "agg_release"
TABLES = (*MERGED, RELEASE)


def contribution(name: str, source: str = "") -> str:
    """The aggregate's SELECT over the stored tables (source "") or over a batch's frames (source "new_")."""
    return statement(f"aggregates/{name}", **{table: f"{source}{table}" for table in placeholders(f"aggregates/{name}")})


def merge_batch(con: duckdb.DuckDBPyConnection, present: set[str]) -> None:
    """Add a batch's contribution to every aggregate that takes rows of a relation it has (new_<table> registered)."""
    for name in MERGED:
        if placeholders(f"aggregates/{name}") & present:
            run(con, f"aggregates/merge/{name}", contribution=contribution(name, "new_"))


def merge_release(con: duckdb.DuckDBPyConnection, deltas: pl.DataFrame) -> None:
    if deltas.is_empty():
        return
    con.register("release_deltas", deltas.to_arrow())
    run(con, "aggregates/merge/agg_release")
    run(con, "aggregates/merge/agg_release_zeros")
    con.unregister("release_deltas")


def _rebuilt(name: str) -> str:
    return statement("aggregates/agg_release") if name == RELEASE else contribution(name)


def rebuild(con: duckdb.DuckDBPyConnection) -> None:
    """Replace every aggregate table's rows with the aggregate recomputed from the stored rows, in one transaction."""
    with transaction(con):
        for name in TABLES:
            con.execute(f"DELETE FROM {name}")
            con.execute(f"INSERT INTO {name} BY NAME ({_rebuilt(name)})")
        con.execute("UPDATE store_state SET aggregates_built = true")


def build_if_needed(con: duckdb.DuckDBPyConnection) -> None:
    """Fill the aggregates once for rows stored before they existed (a database from before migration 004)."""
    built = scalar(con, "SELECT aggregates_built FROM store_state")
    if not built:
        started = time.monotonic()
        rebuild(con)
        log.info("aggregate tables built from the stored rows in %.1f s", time.monotonic() - started)


def audit(con: duckdb.DuckDBPyConnection) -> dict[str, pl.DataFrame]:
    """Per aggregate table: the rows where it differs from its recomputation (all empty when healthy)."""
    found = {}
    for name in TABLES:
        sql = statement("aggregates/audit", table=name, contribution=_rebuilt(name))
        found[name] = pl.DataFrame(pl.from_arrow(con.sql(sql).to_arrow_table()))
    return found
