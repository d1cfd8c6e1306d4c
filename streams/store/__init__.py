"""DuckDB: schema from sql/schema, transactional batch writes with offsets, read queries."""

from streams.store.database import EventStore, WriteCounts
from streams.store.opening import duckdb_version, open_store

__all__ = ["EventStore", "WriteCounts", "duckdb_version", "open_store"]
