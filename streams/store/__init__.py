"""The store of record: the consumer's DuckDB file, its schema and views, the batch transaction,
the aggregates and the on-disk index; and the SQL files of sql/, which every reader loads through
this face. The lake (streams/lake) and the read side (streams/read) import this face, not the modules."""

import duckdb

from streams.store import aggregates
from streams.store.aggregates import audit, rebuild
from streams.store.database import EventStore, WriteCounts, store_state
from streams.store.migrate import Migrated, import_export
from streams.store.opening import duckdb_version, in_use, newer_format, newer_format_error, open_store
from streams.store.reference import write_reference
from streams.store.schema import apply_schema, migrations, schema_version
from streams.store.sqlfiles import (
    SqlFile,
    check_params,
    literal,
    one,
    placeholders,
    relation,
    rows,
    run,
    scalar,
    sql_dir,
    sql_file,
    statement,
)
from streams.store.transaction import transaction
from streams.store.views import apply_views, view_files, view_sql

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

__all__ = [
    "TRANSIENT_WRITE_ERRORS",
    "EventStore",
    "Migrated",
    "SqlFile",
    "WriteCounts",
    "aggregates",
    "apply_schema",
    "apply_views",
    "audit",
    "check_params",
    "duckdb_version",
    "import_export",
    "in_use",
    "literal",
    "migrations",
    "newer_format",
    "newer_format_error",
    "one",
    "open_store",
    "placeholders",
    "rebuild",
    "relation",
    "rows",
    "run",
    "scalar",
    "schema_version",
    "sql_dir",
    "sql_file",
    "statement",
    "store_state",
    "transaction",
    "view_files",
    "view_sql",
    "write_reference",
]
