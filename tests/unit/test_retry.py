"""Retry policies: only the named errors are retried, each failure is counted, stop() ends the retries."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import pytest
import stamina

from streams.retry import RetryPolicy

POLICY = RetryPolicy("test", (OSError,), wait_initial_s=0.01, wait_max_s=0.01)


@pytest.fixture(autouse=True)
def no_waits() -> Iterator[None]:
    """stamina's testing mode: no waits, at most 5 attempts."""
    with stamina.set_testing(True, attempts=5):
        yield


def flaky(failures: list[BaseException], result: str = "done") -> tuple[list[int], Callable[[], str]]:
    calls: list[int] = []

    def fn() -> str:
        calls.append(1)
        if failures:
            raise failures.pop(0)
        return result

    return calls, fn


def test_a_named_error_is_retried_and_counted() -> None:
    """Two socket errors, then success: three calls, two failures reported, the result returned."""
    calls, fn = flaky([OSError("reset"), OSError("again")])
    seen: list[str] = []
    assert POLICY.call(fn, on_failure=lambda exc: seen.append(str(exc))) == "done"
    assert (len(calls), seen) == (3, ["reset", "again"])


def test_any_other_error_is_a_bug_and_not_retried() -> None:
    """A KeyError goes up at once: one call, nothing reported as a failure to retry."""
    calls, fn = flaky([KeyError("bug")])
    seen: list[BaseException] = []
    with pytest.raises(KeyError):
        POLICY.call(fn, on_failure=seen.append)
    assert (len(calls), seen) == (1, [])


def test_stop_ends_the_retries_with_the_last_error() -> None:
    """Once stop() is true the failure is raised instead of retried."""
    calls, fn = flaky([OSError("1"), OSError("2"), OSError("3")])
    with pytest.raises(OSError, match="2"):
        POLICY.call(fn, stop=lambda: len(calls) >= 2)
    assert len(calls) == 2


def test_the_attempts_are_bounded() -> None:
    """A policy with attempts gives up after them (here testing mode's 5) and raises the last error."""
    calls, fn = flaky([OSError(str(i)) for i in range(10)])
    with pytest.raises(OSError, match="4"):
        POLICY.call(fn)
    assert len(calls) == 5


def test_a_retry_is_logged_at_debug_under_its_stage_and_nothing_louder(caplog: pytest.LogCaptureFixture) -> None:
    """stamina's own hook printed a bare `stamina.retry_scheduled` warning per retry (thirteen while
    the demo's broker started); now each retry is one DEBUG line of streams.retry naming the stage."""
    calls, fn = flaky([OSError("reset"), OSError("again")])
    with caplog.at_level(logging.DEBUG):
        assert POLICY.call(fn) == "done"
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        ("streams.retry", logging.DEBUG, "test: OSError('reset'); trying again"),
        ("streams.retry", logging.DEBUG, "test: OSError('again'); trying again"),
    ]
    assert len(calls) == 3
