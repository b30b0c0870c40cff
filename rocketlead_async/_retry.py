"""Which failures are safe to repeat, how long to wait, and the tenacity loop that repeats them.

The rules (README "What is retried"): GET, DELETE and PATCH (an RFC 7396 merge patch is
idempotent) are retried on connection errors, timeouts, 429, 500, 502, 503 and 504. A POST is
repeated only when it certainly did not commit: the connection was never made, 429, or 503.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

import attrs
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception

from .errors import APIConnectionError, APIStatusError

__all__ = [
    "NO_RETRY",
    "RetryPolicy",
    "is_retryable",
    "may_have_committed",
    "parse_retry_after",
    "retry_after_failure",
]

T = TypeVar("T")

logger = logging.getLogger("rocketlead_async")

_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# Statuses a POST may be repeated after: the server refused it before doing anything.
_NOT_COMMITTED_STATUSES = frozenset({429, 503})
# Statuses after which a write may or may not have happened.
_UNKNOWN_OUTCOME_STATUSES = frozenset({502, 504})


def _positive(_instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
        raise ValueError(f"RetryPolicy.{attribute.name} must be a finite number >= 0")


def _optional_positive(
    _instance: object, attribute: attrs.Attribute[float | None], value: float | None
) -> None:
    if value is not None and not (
        isinstance(value, (int, float)) and math.isfinite(value) and value > 0
    ):
        raise ValueError(f"RetryPolicy.{attribute.name} must be None or a finite number > 0")


def _attempts(_instance: object, _attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ValueError("RetryPolicy.max_attempts must be an int >= 1 (1 = no retries)")


def _fraction(_instance: object, _attribute: attrs.Attribute[float], value: float) -> None:
    if not (isinstance(value, (int, float)) and 0 <= value <= 1):
        raise ValueError("RetryPolicy.jitter must be between 0 and 1")


@attrs.frozen
class RetryPolicy:
    """How transport failures are retried.

    - ``max_attempts``: requests per call, the first included (3 → at most 3 requests).
    - ``initial_backoff``/``max_backoff``: exponential backoff in seconds (0.25, 0.5, 1, … ≤ 4).
    - ``jitter``: the fraction of each backoff drawn at random (0 = exact, 1 = full jitter), so
      agents that failed together do not retry together.
    - ``retry_after_cap``: the longest ``Retry-After`` (on 429 or 503) honoured; a longer one is
      clamped to this.
    - ``attempt_timeout``: an optional limit per request, so one hung request leaves budget for
      another; the call's ``timeout=`` is always the limit for the whole call.

    Every wait is bounded by the call's remaining budget: when the wait would use it all, the
    last error is raised instead (for a 429, a ``RateLimitError`` with ``.retry_after``).
    """

    max_attempts: int = attrs.field(default=3, validator=_attempts)
    initial_backoff: float = attrs.field(default=0.25, validator=_positive)
    max_backoff: float = attrs.field(default=4.0, validator=_positive)
    jitter: float = attrs.field(default=0.5, validator=_fraction)
    retry_after_cap: float = attrs.field(default=10.0, validator=_positive)
    attempt_timeout: float | None = attrs.field(default=None, validator=_optional_positive)

    def backoff(self, attempt_number: int, rng: Callable[[], float] = random.random) -> float:
        """The wait after failed attempt ``attempt_number`` (1-based), jitter applied."""
        base = min(self.max_backoff, self.initial_backoff * 2.0 ** (attempt_number - 1))
        return base * (1.0 - self.jitter * rng())

    def delay_after(self, attempt_number: int, error: BaseException) -> float:
        """The wait before the next attempt: the server's ``Retry-After`` (capped) or backoff."""
        if isinstance(error, APIStatusError) and error.retry_after is not None:
            return min(error.retry_after, self.retry_after_cap)
        return self.backoff(attempt_number)


NO_RETRY = RetryPolicy(max_attempts=1)
"""A policy that never repeats a request."""


def is_retryable(method: str, error: BaseException) -> bool:
    """Whether ``error`` from a ``method`` request may be answered by sending it again."""
    if isinstance(error, APIConnectionError):
        return method != "POST" or error.request_sent is False
    if isinstance(error, APIStatusError):
        statuses = _NOT_COMMITTED_STATUSES if method == "POST" else _RETRYABLE_STATUSES
        return error.status in statuses
    return False


def may_have_committed(error: BaseException) -> bool:
    """Whether a write that failed with ``error`` may nevertheless have taken effect."""
    if isinstance(error, APIConnectionError):
        return error.request_sent is not False
    if isinstance(error, APIStatusError):
        return error.status in _UNKNOWN_OUTCOME_STATUSES or 200 <= error.status < 300
    return False


def parse_retry_after(value: str | None, now: Callable[[], float] = time.time) -> float | None:
    """``Retry-After`` as seconds from now: delta-seconds or an HTTP-date; ``None`` if absent
    or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        seconds = when.timestamp() - now()
    if not math.isfinite(seconds):
        return None
    return max(0.0, seconds)


# The budget left is a difference of two absolute clock readings, so a wait that spends all of
# it can come out shorter by float dust (1e-14 s): it still counts as spending the budget.
_CLOCK_DUST = 1e-9


async def retry_after_failure(
    first_error: BaseException,
    attempt: Callable[[int], Awaitable[T]],
    *,
    method: str,
    path: str,
    policy: RetryPolicy,
    remaining: Callable[[], float],
    sleep: Callable[[float], Awaitable[None]],
) -> T:
    """Drive attempts 2..n with tenacity after the first attempt (run by the caller, outside
    tenacity, so a call that succeeds pays nothing for this) failed with ``first_error``.

    ``attempt(n)`` performs request number ``n``. Stops at ``policy.max_attempts`` or when the
    wait would leave no budget, re-raising the last error.
    """
    pending: BaseException | None = first_error

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        assert error is not None
        return policy.delay_after(state.attempt_number, error)

    def stop(state: RetryCallState) -> bool:
        return (
            state.attempt_number >= policy.max_attempts
            or state.upcoming_sleep >= remaining() - _CLOCK_DUST
        )

    def log_retry(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        logger.info(
            "retrying %s %s after %s (attempt %d of %d) in %.3fs",
            method,
            path,
            _describe(error),
            state.attempt_number,
            policy.max_attempts,
            state.upcoming_sleep,
        )

    retrying = AsyncRetrying(
        sleep=sleep,
        stop=stop,
        wait=wait,
        retry=retry_if_exception(lambda error: is_retryable(method, error)),
        before_sleep=log_retry,
        reraise=True,
    )
    async for attempt_state in retrying:
        with attempt_state:
            if pending is not None:
                # Replays attempt 1's failure so tenacity's count matches requests sent.
                error, pending = pending, None
                raise error
            return await attempt(attempt_state.retry_state.attempt_number)
    raise AssertionError("unreachable: tenacity either returns or re-raises")  # pragma: no cover


def _describe(error: BaseException | None) -> str:
    if isinstance(error, APIStatusError):
        return f"status {error.status}"
    return type(error).__name__
