"""Keeping the lake bounded: snapshots expired, small files merged, unneeded and orphaned files deleted."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import duckdb

from streams.config import Lake
from streams.errors import ConfigError
from streams.lake.location import ALIAS, attach
from streams.store import one, scalar

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Upkeep:
    expired: int  # snapshots expired
    merged: int  # files merged into fewer
    removed: int  # files deleted from the data path
    orphans: int  # files in the data path no snapshot ever held (a publication killed before its commit), deleted


@dataclass(frozen=True)
class _Expired:
    versions: list[int]


FILE_GRACE = timedelta(minutes=10)  # files no snapshot needs any more are deleted this long after, so running reads finish


def maintain(con: duckdb.DuckDBPyConnection, now: datetime, grace: timedelta = FILE_GRACE) -> Upkeep:
    """Keep the lake bounded: expire snapshots by the retention of sql/lake/expired_versions.sql,
    write rows inlined in the catalog out to files, merge small adjacent files, delete the files
    no snapshot needs any more (`grace` after they were last needed), and delete the files no
    snapshot ever held (written `grace` ago or earlier: a publication killed before its commit; a
    publication under way writes its files within seconds of its commit)."""
    versions = one(con, "lake/expired_versions", _Expired, {"now": now}).versions
    if versions:
        con.execute(f"CALL ducklake_expire_snapshots('{ALIAS}', versions => $versions)", {"versions": versions})
    # Small publications are kept in the catalog itself (DuckLake's data inlining): write them out to
    # Parquet first, so the catalog stays small too.
    con.execute(f"CALL ducklake_flush_inlined_data('{ALIAS}')")
    merged = con.execute(f"CALL ducklake_merge_adjacent_files('{ALIAS}')").pl()
    removed = con.execute(  # by the wall clock, which stamps the files to delete (`now` may be the event clock)
        f"CALL ducklake_cleanup_old_files('{ALIAS}', older_than => $cutoff)", {"cutoff": _deletion_cutoff(con, grace)}
    ).pl()
    return Upkeep(
        expired=len(versions),
        merged=int(merged["files_processed"].sum()),
        removed=removed.height,
        orphans=_delete_orphans(con, grace),
    )


def _delete_orphans(con: duckdb.DuckDBPyConnection, grace: timedelta) -> int:
    """Delete the data files no snapshot ever held, written `grace` ago or earlier. DuckLake counts
    every Parquet file under the data path, whoever wrote it: if any such file is not one of DuckLake's
    own (`ducklake-<uuid>.parquet`), nothing is deleted and the log names it (a copy an analyst
    left in the folder is theirs, not an orphan)."""
    wall: datetime = scalar(con, "SELECT now()")
    call = f"CALL ducklake_delete_orphaned_files('{ALIAS}', older_than => $cutoff, dry_run => $dry)"
    found: list[str] = con.execute(call, {"cutoff": wall - grace, "dry": True}).pl()["path"].to_list()
    foreign = [path for path in found if not re.fullmatch(r"ducklake-[0-9a-f-]+\.parquet", path.rsplit("/", 1)[-1])]
    if foreign:
        log.warning(
            "not deleting %d orphaned lake files: %d files under the lake's data path were not written by DuckLake "
            "(move them out; upkeep deletes every unreferenced Parquet file there): %s",
            len(found) - len(foreign), len(foreign), ", ".join(foreign[:5]),
        )  # fmt: skip
        return 0
    if not found:
        return 0
    return con.execute(call, {"cutoff": wall - grace, "dry": False}).pl().height


def _deletion_cutoff(con: duckdb.DuckDBPyConnection, grace: timedelta) -> datetime:
    """Files scheduled for deletion before this may go: `grace` ago on the wall clock, but never on or
    after the day of a file scheduled within the grace. DuckLake 1.5 on a SQLite catalog compares a
    file's schedule by its day (it stores it as text): asked for 10 minutes ago, it deleted files
    merged away a second earlier, under reads still running. Such files now wait for a later upkeep."""
    now: datetime = scalar(con, "SELECT now()")
    cutoff = now - grace
    young: datetime | None = scalar(
        con,
        f"SELECT min(CAST(schedule_start AS TIMESTAMPTZ)) FROM __ducklake_metadata_{ALIAS}.ducklake_files_scheduled_for_deletion "
        "WHERE CAST(schedule_start AS TIMESTAMPTZ) >= $cutoff",
        {"cutoff": cutoff},
    )
    if young is not None:
        day = young.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
        cutoff = min(cutoff, day - timedelta(microseconds=1))
    return cutoff


def maintain_lake(lake: Lake, now: datetime) -> Upkeep:
    """Upkeep from a process of its own (`customs-kpi lake maintain`); the consumer may keep publishing."""
    if not lake.exists():
        raise ConfigError("lake", lake.describe(), "an existing lake (the consumer creates it at its first publication)")
    con = duckdb.connect(":memory:")
    try:
        attach(con, lake, read_only=False)
        return maintain(con, now)
    finally:
        con.close()
