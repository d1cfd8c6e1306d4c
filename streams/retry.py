"""Retries as policy: which named errors a stage retries, how its waits grow, and a count per stage.

Built on stamina (exponential backoff with jitter, bounded waits). Only the exceptions a policy
names are retried; anything else is a bug and goes up at once. Tests switch stamina's testing
mode on (no waits, a fixed number of attempts) instead of patching constants.

stamina's own instrumentation is off: by default it logs every retry as a bare
`stamina.retry_scheduled` warning (printed as such by a command that configures no logging:
thirteen lines while the demo's broker started) and counts retries in prometheus-client's global
registry, which nothing here serves. Each retry is logged at DEBUG under `streams.retry` with its
stage and cause; the stages that matter are counted by their callers (customs_kpi_errors_total).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import stamina
from stamina import Attempt
from stamina.instrumentation import set_on_retry_hooks

T = TypeVar("T")
log = logging.getLogger(__name__)
set_on_retry_hooks([])


@dataclass(frozen=True)
class RetryPolicy:
    stage: str  # what is retried; for the consumer's poll and write, the label of customs_kpi_errors_total that counts failures
    on: tuple[type[BaseException], ...]
    wait_initial_s: float
    wait_max_s: float
    attempts: int | None = None  # None: until it works or the caller stops (the consumer outlives an outage)
    timeout_s: float | None = None

    def _attempts(
        self, stop: Callable[[], bool] = lambda: False, on_failure: Callable[[BaseException], None] = lambda _exc: None
    ) -> Iterator[Attempt]:
        """stamina's attempts: a failure with a named error is counted and retried unless stop() says
        otherwise, in which case it is raised like any other error."""

        def retryable(exc: BaseException) -> bool:
            if not isinstance(exc, self.on):
                return False
            on_failure(exc)
            if stop():
                return False
            log.debug("%s: %r; trying again", self.stage, exc)
            return True

        return iter(
            stamina.retry_context(
                on=retryable,
                attempts=self.attempts,
                timeout=self.timeout_s,
                wait_initial=self.wait_initial_s,
                wait_max=self.wait_max_s,
                wait_jitter=self.wait_initial_s,
            )
        )

    def call(
        self, fn: Callable[[], T], stop: Callable[[], bool] = lambda: False, on_failure: Callable[[BaseException], None] = lambda _exc: None
    ) -> T:
        """fn(), retried by this policy; the last failure is raised when the policy gives up or stop() is true."""
        for attempt in self._attempts(stop, on_failure):
            with attempt:
                result = fn()
        return result
