"""New topics are handed over only once every partition has a leader (a consumer joining before
then is assigned none of their partitions until its next metadata refresh, minutes later)."""

from __future__ import annotations

from typing import Any

import pytest

from streams.errors import BrokerError
from streams.kafka import topics


class Admin:
    def __init__(self, answers: list[list[dict[str, Any]]]) -> None:
        self.answers, self.calls = answers, 0

    def describe_topics(self, names: list[str]) -> list[dict[str, Any]]:
        self.calls += 1
        return self.answers[min(self.calls, len(self.answers)) - 1]


def _topic(*leaders: int, error: int = 0) -> dict[str, Any]:
    return {"error_code": error, "partitions": [{"error_code": 0, "partition_index": i, "leader_id": p} for i, p in enumerate(leaders)]}


def test_waits_until_every_partition_has_a_leader() -> None:
    admin = Admin([[_topic(error=3)], [_topic(1, -1)], [_topic(1, 1)]])
    topics._wait_for_leaders(admin, ["customs.revenue"])
    assert admin.calls == 3


def test_no_leader_in_time_is_a_clear_error() -> None:
    admin = Admin([[_topic(-1, -1)]])
    with pytest.raises(BrokerError, match=r"the new topics customs.revenue had no leader within 0 s"):
        topics._wait_for_leaders(admin, ["customs.revenue"], timeout_s=0.3)
    assert admin.calls >= 2
