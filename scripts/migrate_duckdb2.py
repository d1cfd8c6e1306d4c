"""Bring a database written by DuckDB 2.x (this project before it pinned DuckDB 1.5 for DuckLake)
into a new file this release can open. Two steps, because one Python cannot hold both DuckDBs:

1. with DuckDB 2.x (a throwaway virtualenv: `python3 -m venv /tmp/duckdb2 && /tmp/duckdb2/bin/pip install duckdb==2.0.1`):
       /tmp/duckdb2/bin/python -c "import duckdb; duckdb.connect('var/customs.duckdb', read_only=True)
           .execute(\"EXPORT DATABASE 'var/customs-export' (FORMAT parquet)\")"
2. with this project's environment, from the folder step 1 ran in (the export names its files
   relative to it):
       .venv/bin/python scripts/migrate_duckdb2.py var/customs-export var/customs-new.duckdb

Step 2 creates the tables and sequences of the export (not its views and macros, which DuckDB's
export orders wrongly for import; the consumer creates them on every start), loads the rows,
then opens the file as the consumer does (migrations after the export's, views, the index check).
Afterwards move the old file and its `.index` folder aside and the new ones in place; the index
beside the old file can be copied with it (it names the database by store_id, which is kept), or
left out: the consumer rebuilds it from the rows.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from streams.store import open_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("export", type=Path, help="the folder EXPORT DATABASE wrote")
    parser.add_argument("target", type=Path, help="the new database file (must not exist)")
    args = parser.parse_args()
    if args.target.exists():
        parser.error(f"{args.target} exists")
    con = duckdb.connect(str(args.target))
    skipped = 0
    for statement in duckdb.extract_statements((args.export / "schema.sql").read_text()):
        if statement.type == duckdb.StatementType.CREATE and any(w in statement.query.upper().split()[:6] for w in ("VIEW", "MACRO")):
            skipped += 1
            continue
        con.execute(statement.query)
    for statement in duckdb.extract_statements((args.export / "load.sql").read_text()):
        con.execute(statement.query)
    tables = con.execute("SELECT count(*) FROM duckdb_tables()").fetchall()[0][0]
    (events,) = con.execute(
        "SELECT (FROM (SELECT count(*) FROM declarations)) + (FROM (SELECT count(*) FROM revenue)) + (FROM (SELECT count(*) FROM seizures))"
    ).fetchone()  # type: ignore[misc]
    con.close()
    open_store(args.target).close()  # later migrations, the views, and the index beside it
    print(f"{args.target}: {tables} tables, {events:,} events; {skipped} views and macros left to the consumer")


if __name__ == "__main__":
    main()
