"""Which replica of a pair leads the lake: Kafka's group protocol on a topic of one partition.

Both replicas join one consumer group subscribed to `customs-kpi.leader`; the member the group
coordinator gives the partition is elected. A replica that dies, or stops heartbeating (paused,
cut off) past the session timeout, is removed from the group by the broker and the partition goes
to the other: the broker decides, not a timer of ours. The sticky assignor keeps the partition
where it is when a member joins, so a replica that comes back does not take the lead back.

Elected is not yet leading: the lake's own epoch fences a leader that lost the partition without
noticing it yet (streams/lake: take_lead). Each election is a new `term`, so a replica fenced in
one term waits for the next rather than taking the lake back from the leader that fenced it. A
rebalance (a replica joining) revokes the partition from every member and gives it back to its
owner in the same round: that is the same term, not a new election (no new epoch in the lake). A
member forced out of the group (its session expired) loses the partition for good: a new term.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

from streams.kafka.clients import KafkaError
from streams.kafka.types import EventConsumer, Partition

log = logging.getLogger(__name__)
POLL_MS = 500


@dataclass(frozen=True)
class Vote:
    elected: bool
    term: int  # counts the times this replica was elected, from 1
    rebalancing: bool = False  # revoked by a rebalance that has not ended: the partition may come back


class Election:
    def __init__(self, consumer: EventConsumer, topic: str, replica: str) -> None:
        self._consumer, self.replica = consumer, replica
        self._lock = threading.Lock()
        self._vote = Vote(False, 0)
        self._handed_back = False  # revoked by a rebalance, not lost: the same term if it comes straight back
        self._stop = threading.Event()
        consumer.subscribe([topic], on_assigned=self._assigned, on_revoked=self._revoked, on_lost=self._lost)
        self._thread = threading.Thread(target=self._run, name="leader-election", daemon=True)

    def start(self) -> Election:
        self._thread.start()
        return self

    @property
    def vote(self) -> Vote:
        with self._lock:
            return self._vote

    def _assigned(self, assigned: set[Partition]) -> None:
        with self._lock:
            handed_back, self._handed_back = self._handed_back, False
            if assigned and handed_back:
                self._vote = Vote(True, self._vote.term)  # kept through a rebalance
            elif assigned and not self._vote.elected:
                self._vote = Vote(True, self._vote.term + 1)
                log.info("replica %s is elected to lead the lake (term %d)", self.replica, self._vote.term)
            elif not assigned and (self._vote.elected or handed_back):
                self._vote = Vote(False, self._vote.term)
                log.warning("replica %s is no longer elected: the other replica leads the lake", self.replica)

    def _revoked(self, revoked: set[Partition]) -> None:
        """A rebalance begins: not elected until it ends (the other replica may be given the partition)."""
        with self._lock:
            if revoked and self._vote.elected:
                self._vote = Vote(False, self._vote.term, rebalancing=True)
                self._handed_back = True

    def _lost(self, lost: set[Partition]) -> None:
        with self._lock:
            self._handed_back = False
            if lost and self._vote.elected:
                self._vote = Vote(False, self._vote.term)
                log.warning("replica %s is no longer elected: the broker ended its session (paused or cut off)", self.replica)

    def _run(self) -> None:
        """Poll the group (heartbeats run on kafka-python's own thread; the poll joins and rejoins)."""
        while not self._stop.is_set():
            try:
                self._consumer.poll(POLL_MS, 1)
            except KafkaError as exc:
                log.warning("the leader election's poll failed, retrying: %r", exc)
                self._stop.wait(1.0)
            except Exception:  # never leave a replica that believes it is elected without polling
                log.exception("the leader election stopped")
                with self._lock:
                    self._vote = Vote(False, self._vote.term)
                return

    def close(self) -> None:
        """Leave the group: the other replica is elected at once, not after a session timeout."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
        with self._lock:
            self._vote = Vote(False, self._vote.term)
        self._consumer.close()
