"""The election's state from the group's callbacks: a term per election, kept through a rebalance
that hands the partition straight back, lost with the session. A fake consumer stands in for
Kafka's group (the real one: tests/integration/test_replicas.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from streams.consume.election import Election, Vote
from streams.kafka.types import Partition, Record


class Group:
    """Captures the listener; its methods play what the group coordinator does to the member."""

    def __init__(self) -> None:
        self.assigned: Callable[[set[Partition]], None] = lambda _p: None
        self.revoked: Callable[[set[Partition]], None] = lambda _p: None
        self.lost: Callable[[set[Partition]], None] | None = None
        self.closed = False

    def subscribe(
        self,
        topics: Sequence[str],
        on_assigned: Callable[[set[Partition]], None],
        on_revoked: Callable[[set[Partition]], None],
        on_lost: Callable[[set[Partition]], None] | None = None,
    ) -> None:
        assert list(topics) == ["customs-kpi.leader"]
        self.assigned, self.revoked, self.lost = on_assigned, on_revoked, on_lost

    def poll(self, timeout_ms: int, max_records: int) -> Mapping[Partition, Sequence[Record]]:
        return {}

    def close(self) -> None:
        self.closed = True


PARTITION = {("customs-kpi.leader", 0)}


def test_terms_follow_the_group() -> None:
    group = Group()
    election = Election(group, "customs-kpi.leader", "a")  # type: ignore[arg-type]
    assert election.vote == Vote(False, 0)
    group.assigned(PARTITION)  # type: ignore[arg-type]
    assert election.vote == Vote(True, 1)
    # A replica joins: the eager protocol revokes everything, then the sticky assignor gives it back.
    group.revoked(PARTITION)  # type: ignore[arg-type]
    assert election.vote == Vote(False, 1, rebalancing=True)  # not now, but no step-down yet
    group.assigned(PARTITION)  # type: ignore[arg-type]
    assert election.vote == Vote(True, 1)  # the same term: no new epoch in the lake
    # A rebalance that gives the partition to the other replica.
    group.revoked(PARTITION)  # type: ignore[arg-type]
    group.assigned(set())
    assert election.vote == Vote(False, 1)
    group.assigned(PARTITION)  # type: ignore[arg-type]
    assert election.vote == Vote(True, 2)  # elected again: a new term
    # Paused past the session: the broker removed it; whatever comes next is a new election.
    assert group.lost is not None
    group.lost(PARTITION)  # type: ignore[arg-type]
    assert election.vote == Vote(False, 2)
    group.assigned(PARTITION)  # type: ignore[arg-type]
    assert election.vote == Vote(True, 3)
    election.close()
    assert group.closed and election.vote == Vote(False, 3)
