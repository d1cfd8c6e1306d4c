"""Check: does a PostgreSQL catalog that answers in another language break DuckLake's commit retries?

Writers that commit to one lake at the same moment race for the next snapshot id; the loser's
INSERT into `ducklake_snapshot` fails on the primary key and DuckLake retries its commit. A report
had it that DuckLake recognises that error by its English text, so a server with a localized
`lc_messages` would skip the retry. This starts PostgreSQL (Debian's package, as the tests do), sets
`lc_messages` for the lake's role to each locale given (German by default: PostgreSQL 15 ships no
Vietnamese messages), lets --writers DuckDB sessions commit --commits rows each at once, and prints
the races the server logged (in its language), the rows in the lake and the errors the writers saw.
Makes the locale with `localedef` when it is missing (root).

Usage:
    .venv/bin/python scripts/check_catalog_language.py [--writers 8] [--commits 30] [de_DE.UTF-8 C]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import duckdb  # noqa: E402

from streams.config import lake_for  # noqa: E402
from streams.lake import attach  # noqa: E402
from tests.support.postgres import Postgres  # noqa: E402


def ensure_locale(name: str) -> None:
    if name in ("C", "POSIX"):
        return
    known = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=True).stdout.lower().split()
    if name.lower().replace("utf-8", "utf8") not in known:
        language, charset = name.split(".")
        subprocess.run(["localedef", "-i", language, "-f", charset, name], check=True)


def trial(pg: Postgres, folder: Path, messages: str, writers: int, commits: int) -> dict[str, object]:
    pg.psql(f"ALTER ROLE {pg.user} SET lc_messages = '{messages}'", superuser=True)
    db = pg.new_database("lake_" + "".join(c if c.isalnum() else "_" for c in messages.lower()))
    lake = lake_for(folder / "x.duckdb", f"postgres:{db.conninfo}", str(folder / f"data-{messages}"))
    setup = duckdb.connect()
    attach(setup, lake, read_only=False)
    setup.execute("CREATE TABLE lake.t (w INTEGER, i INTEGER)")
    said = setup.execute("SELECT * FROM postgres_query('__ducklake_metadata_lake', 'SELECT current_setting(''lc_messages'')')").fetchall()
    setup.close()
    log = folder / "pg" / "server.log"
    logged_before = len(log.read_text(errors="replace").splitlines())
    errors: list[str] = []
    start = threading.Barrier(writers)

    def write(w: int) -> None:
        con = duckdb.connect()
        attach(con, lake, read_only=False)
        start.wait()
        for i in range(commits):
            try:
                con.execute("INSERT INTO lake.t VALUES (?, ?)", [w, i])
            except duckdb.Error as exc:
                errors.append(str(exc).splitlines()[0][:200])
        con.close()

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    check = duckdb.connect()
    attach(check, lake, read_only=True)
    stored = check.execute("SELECT count(*) FROM lake.t").fetchall()[0][0]
    check.close()
    races = [line for line in log.read_text(errors="replace").splitlines()[logged_before:] if "ducklake_snapshot_pkey" in line]
    return {"lc_messages": said[0][0], "races": len(races), "a race as logged": races[0] if races else None,
            "rows": stored, "expected": writers * commits, "errors": len(errors), "first error": errors[0] if errors else None}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--commits", type=int, default=30)
    parser.add_argument("locales", nargs="*", default=["de_DE.UTF-8", "C"])
    args = parser.parse_args()
    for name in args.locales:
        ensure_locale(name)
    folder = Path(tempfile.mkdtemp(prefix="customs-lc-"))
    os.chmod(folder, 0o755)  # the postgres user reads its folder inside
    pg = Postgres(folder / "pg").start()
    os.environ["PGPASSWORD"] = pg.password
    ok = True
    try:
        for name in args.locales:
            found = trial(pg, folder, name, args.writers, args.commits)
            print(found)
            ok = ok and found["errors"] == 0 and found["rows"] == found["expected"]
    finally:
        pg.stop()
        shutil.rmtree(folder, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
