"""A database written by DuckDB 2.x (this project before it pinned DuckDB 1.5 for the lake), brought
over into a new file this release opens.

One process cannot hold both DuckDBs, so it takes two steps. With DuckDB 2.x, in a throwaway
virtualenv (`python3 -m venv /tmp/duckdb2 && /tmp/duckdb2/bin/pip install duckdb==2.0.1`), export
the old file from the folder it lies in:

    /tmp/duckdb2/bin/python -c "import duckdb; duckdb.connect('var/customs.duckdb', read_only=True)
        .execute(\"EXPORT DATABASE 'var/customs-export' (FORMAT parquet)\")"

then, from the same folder (the export names its files relative to it), `customs-kpi
migrate-duckdb2 var/customs-export --to var/customs-new.duckdb`. That creates the export's tables
and sequences (not its views and macros, which DuckDB's export orders wrongly for import; the
consumer creates them on every start), loads the rows, and opens the file as the consumer does
(the migrations after the export's, the views, the index). Then move the old file and its
`.index` folder aside and the new one in place; the index can come along (it names the database
by store_id, which is kept) or be left to the consumer, which rebuilds it from the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

from streams.errors import ConfigError
from streams.store.opening import open_store
from streams.store.sqlfiles import scalar


@dataclass(frozen=True)
class Migrated:
    tables: int
    events: int
    left_to_the_consumer: int  # views and macros of the export, which the consumer creates


def import_export(export: Path, target: Path) -> Migrated:
    """Load an EXPORT DATABASE folder into a new database file `target` and open it as the consumer does."""
    if not (export / "schema.sql").is_file() or not (export / "load.sql").is_file():
        raise ConfigError("export", str(export), "a folder written by EXPORT DATABASE (with schema.sql and load.sql)")
    if target.exists():
        raise ConfigError("to", str(target), "a database file that does not exist yet")
    target.parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(target))
    try:
        skipped = 0
        for statement in duckdb.extract_statements((export / "schema.sql").read_text()):
            if statement.type == duckdb.StatementType.CREATE and {"VIEW", "MACRO"} & set(statement.query.upper().split()[:6]):
                skipped += 1
                continue
            con.execute(statement.query)
        for statement in duckdb.extract_statements((export / "load.sql").read_text()):
            con.execute(statement.query)
        tables = scalar(con, "SELECT count(*) FROM duckdb_tables()")
        counts = " + ".join(f"(FROM (SELECT count(*) FROM {table}))" for table in ("declarations", "revenue", "seizures"))
        events = scalar(con, f"SELECT {counts}")
    finally:
        con.close()
    open_store(target).close()  # the migrations after the export's, the views, and the index beside it
    return Migrated(int(tables), int(events), skipped)
