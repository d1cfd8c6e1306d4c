"""The read side: the SQL sandbox analysts query the lake through (sandbox.py opens it, guard.py
checks a statement, running.py runs it), the reads behind /metrics (queries.py), the checks of the
store against Kafka and the lake (verify.py) and one portable file of the lake (portable.py).
Other packages import this face, not the modules."""

from streams.read import verify
from streams.read.guard import check_statement
from streams.read.portable import write_portable
from streams.read.queries import KpiSnapshot, latest_event_time, read_snapshot
from streams.read.running import QueryResult, run_query
from streams.read.sandbox import (
    Connection,
    Source,
    default_memory_limit,
    lake_views_sql,
    open_lake,
    open_sandbox,
    reading,
)
from streams.read.verify import Difference, Verification, verify_store

__all__ = [
    "Connection",
    "Difference",
    "KpiSnapshot",
    "QueryResult",
    "Source",
    "Verification",
    "check_statement",
    "default_memory_limit",
    "lake_views_sql",
    "latest_event_time",
    "open_lake",
    "open_sandbox",
    "read_snapshot",
    "reading",
    "run_query",
    "verify",
    "verify_store",
    "write_portable",
]
