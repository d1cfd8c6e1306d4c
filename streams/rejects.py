"""`customs-kpi rejects`: what was rejected and why, and re-submitting rejects after a fix.

Both read the consumer's DuckDB file the way analysts do (its snapshot while the consumer runs).
A replay sends each stored message, byte for byte, back to its source topic with the
customs_kpi.replay_of header; the consumer stores what the current contract and reference data
accept and records the outcome on the original reject (`replay_status`), adding no reject or
duplicate rows. Already accepted rejects are not sent again, so replaying twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

from streams.contract.events import replay_header
from streams.errors import ConfigError
from streams.kpi.clock import VIETNAM
from streams.query import freshness
from streams.store.lake import Lake
from streams.store.sandbox import open_sandbox

GROUPINGS = {"reason": None, "day": "day", "hour": "hour"}
DONE = ("accepted", "duplicate")  # replay outcomes after which a reject is not sent again


def _filters(reasons: list[str], since: datetime | None) -> tuple[str, dict[str, object]]:
    where, params = ["true"], {}
    if reasons:
        where.append("list_contains($reasons, reason)")
        params["reasons"] = reasons
    if since is not None:
        where.append("rejected_at >= $since")
        params["since"] = since
    return " AND ".join(where), params


def summary(db: Path, by: str, reasons: list[str], since: datetime | None, lake: Lake | None = None) -> None:
    """Print rejects by reason (count, first and last, replay outcomes), or by day or hour (Vietnam time) and reason."""
    if by not in GROUPINGS:
        raise ConfigError("--by", by, f"one of {', '.join(GROUPINGS)}")
    con, source = open_sandbox(db, lake)
    console = Console(width=max(160, Console().width))  # whole reason codes, also when piped
    try:
        Console(stderr=True).print(freshness(source))
        where, params = _filters(reasons, since)
        if by == "reason":
            rows = con.execute(
                "SELECT reason, source_topic, count(*), min(rejected_at), max(rejected_at), "
                "count(*) FILTER (replay_status = 'accepted'), count(*) FILTER (replay_status IS NULL OR replay_status NOT IN "
                f"('accepted', 'duplicate')) FROM rejects WHERE {where} GROUP BY ALL ORDER BY 3 DESC, 1, 2",
                params,
            ).fetchall()
            table = Table("reason", "topic", "rejects", "first", "last", "accepted on replay", "still rejected", title="Rejects by reason")
            for reason, topic, n, first, last, accepted, pending in rows:
                table.add_row(reason, topic, f"{n:,}", _local(first), _local(last), f"{accepted:,}", f"{pending:,}")
        else:
            rows = con.execute(
                f"SELECT date_trunc('{by}', rejected_at AT TIME ZONE 'Asia/Ho_Chi_Minh') AS t, reason, count(*) "
                f"FROM rejects WHERE {where} GROUP BY ALL ORDER BY 1, 3 DESC",
                params,
            ).fetchall()
            table = Table(by + " (Vietnam time)", "reason", "rejects", title=f"Rejects by {by}")
            for t, reason, n in rows:
                table.add_row(t.strftime("%Y-%m-%d %H:00" if by == "hour" else "%Y-%m-%d"), reason, f"{n:,}")
        total = sum(r[2] for r in rows)
        table.caption = f"{total:,} rejects" + ("" if rows else " (none match)")
        console.print(table)
    finally:
        con.close()


def _local(t: datetime | None) -> str:
    return "" if t is None else t.astimezone(VIETNAM).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class ReplayReport:
    selected: int
    sent: int
    failed: int
    by_reason: dict[str, int]


def replay(db: Path, bootstrap: str, reasons: list[str], since: datetime | None, dry_run: bool, lake: Lake | None = None) -> ReplayReport:
    """Send the matching rejects that no replay has yet stored back to their topics, with the replay header."""
    con, source = open_sandbox(db, lake)
    try:
        Console(stderr=True).print(freshness(source))
        where, params = _filters(reasons, since)
        rows = con.execute(
            "SELECT source_topic, source_partition, source_offset, message_key, raw_value, reason FROM rejects "
            f"WHERE {where} AND (replay_status IS NULL OR replay_status NOT IN ('accepted', 'duplicate')) "
            "ORDER BY source_topic, source_partition, source_offset",
            params,
        ).fetchall()
    finally:
        con.close()
    by_reason: dict[str, int] = {}
    for *_, reason in rows:
        by_reason[reason] = by_reason.get(reason, 0) + 1
    if dry_run or not rows:
        return ReplayReport(len(rows), 0, 0, by_reason)
    from streams.produce.sender import EventSender

    sender = EventSender(bootstrap)
    for topic, partition, offset, key, value, _ in rows:
        sender.send(topic, key, value, headers=[replay_header(topic, partition, offset)])
    report = sender.close()
    return ReplayReport(len(rows), report.sent, report.failed, by_reason)
