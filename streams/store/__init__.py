"""DuckDB: schema from sql/schema, transactional batch writes with offsets, read queries."""

import duckdb

from streams.store.database import EventStore, WriteCounts
from streams.store.opening import duckdb_version, open_store

# What a retried write can cure: the disk (full, read-only, a file-size limit) and memory. DuckDB
# reports a commit whose WAL write failed as a TransactionException ("Failed to commit: Could not
# write file ..."); with one writer per file nothing else raises it. A FatalException (only
# reopening the file recovers) and every other error are not in the list: they end the consumer.
TRANSIENT_WRITE_ERRORS: tuple[type[Exception], ...] = (
    duckdb.IOException,
    duckdb.OutOfMemoryException,
    duckdb.TransactionException,
    OSError,
)

__all__ = ["TRANSIENT_WRITE_ERRORS", "EventStore", "WriteCounts", "duckdb_version", "open_store"]
