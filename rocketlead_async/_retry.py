"""Which failures are safe to repeat, which may have committed, how long to wait, and the
tenacity loop that repeats them. Every such rule of the SDK lives here.

The rules (README "What is retried"):

- GET, DELETE and PATCH (an RFC 7396 merge patch is idempotent) are retried on connection
  errors, timeouts, 429, 500, 502, 503 and 504.
- A POST is repeated only when it certainly did not commit: the connection was never made (or
  nothing of the body was written), 429, or a 503 that shows the API itself refused it (its own
  ``{"statusCode", "message"}`` envelope, or a ``Retry-After``).
- A POST that was sent may have committed (an unknown outcome) unless its answer says it did
  not: any 4xx, 500, 501, 505, or the API's own 503. Everything else — a 2xx whose body cannot
  be read, 1xx, 3xx, 502, 504, 520, 524, a proxy's bare 503, any other 5xx or odd status, a
  timeout or reset after sending — is unknown.
- A DELETE retried after an attempt that may have deleted, and then answered 404, has deleted.
"""

from __future__ import annotations

import email.utils
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, TypeVar

import attrs

from ._validate import (
    check_fraction,
    check_instance,
    check_int,
    check_number,
    check_optional_number,
    validator,
)
from .errors import APIConnectionError, APIStatusError, NotFoundError

if TYPE_CHECKING:
    from tenacity import RetryCallState

__all__ = [
    "NO_RETRY",
    "RetryPolicy",
    "api_refused",
    "check_retry",
    "deleted_after_unknown",
    "is_retryable",
    "may_have_committed",
    "parse_retry_after",
    "retry_after_failure",
]

T = TypeVar("T")

logger = logging.getLogger("rocketlead_async")

# Idempotent requests are repeated after these.
_RETRYABLE_STATUSES = frozenset({429, 500, 502, 503, 504})
# A sent POST answered with these certainly did not commit (besides every 4xx).
_NOT_COMMITTED_5XX = frozenset({500, 501, 505})


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
    - ``min_attempt_time``: a repeat starts only with at least this much of the budget left
      after its wait (``bookings.book()`` raises it to ``SlotRecovery.min_attempt_time``): a
      POST cut short by the deadline would leave its outcome unknown. The first request is
      always sent.

    Every wait is bounded by the call's remaining budget: when the wait would use it all, the
    last error is raised instead (for a 429, a ``RateLimitError`` with ``.retry_after``).
    """

    max_attempts: int = attrs.field(default=3, validator=validator(check_int, minimum=1))
    initial_backoff: float = attrs.field(default=0.25, validator=validator(check_number))
    max_backoff: float = attrs.field(default=4.0, validator=validator(check_number))
    jitter: float = attrs.field(default=0.5, validator=validator(check_fraction))
    retry_after_cap: float = attrs.field(default=10.0, validator=validator(check_number))
    attempt_timeout: float | None = attrs.field(
        default=None, validator=validator(check_optional_number, inclusive=False)
    )
    min_attempt_time: float = attrs.field(default=0.0, validator=validator(check_number))

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


def check_retry(retry: object) -> RetryPolicy:
    """A :class:`RetryPolicy`, or a ``TypeError`` naming what was passed instead."""
    return check_instance(retry, RetryPolicy, "retry")


def api_refused(error: APIStatusError) -> bool:
    """Whether a 503 shows the API itself refused the request (so nothing was done): its own
    JSON envelope, or a ``Retry-After``. A proxy's page ("upstream connect error …") may
    come after the request was forwarded."""
    body = error.body
    own_envelope = isinstance(body, dict) and "statusCode" in body and "message" in body
    return own_envelope or error.retry_after is not None


def is_retryable(method: str, error: BaseException) -> bool:
    """Whether ``error`` from a ``method`` request may be answered by sending it again."""
    if isinstance(error, APIConnectionError):
        return method != "POST" or error.request_sent is False
    if isinstance(error, APIStatusError):
        if method != "POST":
            return error.status in _RETRYABLE_STATUSES
        return error.status == 429 or (error.status == 503 and api_refused(error))
    return False


def may_have_committed(error: BaseException) -> bool:
    """Whether a write that failed with ``error`` may nevertheless have taken effect."""
    if isinstance(error, APIConnectionError):
        return error.request_sent is not False
    if isinstance(error, APIStatusError):
        status = error.status
        if 400 <= status < 500 or status in _NOT_COMMITTED_5XX:
            return False
        return not (status == 503 and api_refused(error))
    return False


def deleted_after_unknown(method: str, error: BaseException, earlier_unknown: bool) -> bool:
    """Whether a 404 answers a DELETE that an earlier attempt of the same call may already
    have carried out: then the object is gone, which is what was asked."""
    return method == "DELETE" and earlier_unknown and isinstance(error, NotFoundError)


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
    # Imported on the first retry, not with the SDK: a call that succeeds never needs it.
    from tenacity import AsyncRetrying, retry_if_exception

    pending: BaseException | None = first_error

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        assert error is not None
        return policy.delay_after(state.attempt_number, error)

    def stop(state: RetryCallState) -> bool:
        if state.attempt_number >= policy.max_attempts:
            return True
        left_after_wait = remaining() - state.upcoming_sleep
        return left_after_wait <= _CLOCK_DUST or left_after_wait < policy.min_attempt_time

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
