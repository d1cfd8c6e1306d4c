"""`customs-kpi rejects`: what was rejected and why, and re-submitting rejects after a fix.

Both read what analysts read (the lake the consumer publishes, or the database while none runs).
A replay sends each stored message, byte for byte, back to its source topic with the
customs_kpi.replay_of header; the consumer stores what the current contract and reference data
accept and records the outcome on the original reject (`replay_status`), adding no reject or
duplicate rows. Already accepted rejects are not sent again, so replaying twice changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from streams.config import KafkaConnection
from streams.contract.events import replay_header
from streams.errors import ConfigError
from streams.read import Connection

GROUPINGS = {"reason": None, "day": "day", "hour": "hour"}


def _filters(reasons: list[str], since: datetime | None) -> tuple[str, dict[str, object]]:
    where, params = ["true"], dict[str, object]()
    if reasons:
        where.append("list_contains($reasons, reason)")
        params["reasons"] = reasons
    if since is not None:
        where.append("rejected_at >= $since")
        params["since"] = since
    return " AND ".join(where), params


@dataclass(frozen=True)
class ByReason:
    reason: str
    topic: str
    rejects: int
    first: datetime
    last: datetime
    accepted: int  # accepted on replay
    still_rejected: int


@dataclass(frozen=True)
class ByTime:
    t: datetime  # the local (Vietnam) day or hour
    reason: str
    rejects: int


@dataclass(frozen=True)
class RejectSummary:
    """Rejects grouped by reason (count, first and last, replay outcomes), or by day or hour and reason."""

    by: str
    columns: list[str]
    rows: list[ByReason] | list[ByTime]
    total: int


def summary(con: Connection, by: str, reasons: list[str], since: datetime | None) -> RejectSummary:
    """Rejects by reason (count, first and last, replay outcomes), or by day or hour (Vietnam time) and reason."""
    if by not in GROUPINGS:
        raise ConfigError("by", by, f"one of {', '.join(GROUPINGS)}")
    where, params = _filters(reasons, since)
    if by == "reason":
        frame = con.execute(
            "SELECT reason, source_topic AS topic, count(*) AS rejects, min(rejected_at) AS first, max(rejected_at) AS last, "
            "count(*) FILTER (replay_status = 'accepted') AS accepted, count(*) FILTER (replay_status IS NULL OR replay_status NOT IN "
            f"('accepted', 'duplicate')) AS still_rejected FROM rejects WHERE {where} GROUP BY ALL ORDER BY 3 DESC, 1, 2",
            params,
        ).pl()
        columns = ["reason", "topic", "rejects", "first", "last", "accepted on replay", "still rejected"]
    else:
        frame = con.execute(
            f"SELECT date_trunc('{by}', rejected_at AT TIME ZONE 'Asia/Ho_Chi_Minh') AS t, reason, count(*) AS rejects "
            f"FROM rejects WHERE {where} GROUP BY ALL ORDER BY 1, 3 DESC",
            params,
        ).pl()
        columns = [by + " (Vietnam time)", "reason", "rejects"]
    rows: list[ByReason] | list[ByTime] = (
        [ByReason(**r) for r in frame.iter_rows(named=True)] if by == "reason" else [ByTime(**r) for r in frame.iter_rows(named=True)]
    )
    return RejectSummary(by, columns, rows, int(frame["rejects"].sum()))


@dataclass(frozen=True)
class ReplayReport:
    selected: int
    sent: int
    failed: int
    by_reason: dict[str, int]


@dataclass(frozen=True)
class StoredReject:
    """A reject as a replay sends it again: where it was read, its bytes, and why it was rejected."""

    source_topic: str
    source_partition: int
    source_offset: int
    message_key: bytes | None
    raw_value: bytes | None
    reason: str


@dataclass(frozen=True)
class Resubmission:
    """The rejects a replay would send."""

    rows: list[StoredReject]

    @property
    def by_reason(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for row in self.rows:
            counts[row.reason] = counts.get(row.reason, 0) + 1
        return counts


def to_replay(con: Connection, reasons: list[str], since: datetime | None) -> Resubmission:
    """The matching rejects that no replay has yet stored."""
    where, params = _filters(reasons, since)
    frame = con.execute(
        "SELECT source_topic, source_partition, source_offset, message_key, raw_value, reason FROM rejects "
        f"WHERE {where} AND (replay_status IS NULL OR replay_status NOT IN ('accepted', 'duplicate')) "
        "ORDER BY source_topic, source_partition, source_offset",
        params,
    ).pl()
    return Resubmission([StoredReject(**row) for row in frame.iter_rows(named=True)])


def replay(selected: Resubmission, connection: KafkaConnection) -> ReplayReport:
    """Send the selected rejects back to their topics, with the replay header."""
    from streams.produce.sender import EventSender

    if not selected.rows:
        return ReplayReport(0, 0, 0, {})
    sender = EventSender(connection)
    for r in selected.rows:
        sender.send(
            r.source_topic, r.message_key, r.raw_value, headers=[replay_header(r.source_topic, r.source_partition, r.source_offset)]
        )
    report = sender.close()
    return ReplayReport(len(selected.rows), report.sent, report.failed, selected.by_reason)
