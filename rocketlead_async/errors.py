"""The exception hierarchy of rocketlead-async.

Every failure the SDK reports is a :class:`RocketLeadError`. No message, ``repr`` or attribute of
these classes ever holds the API token; bodies are kept (``.body``) because the server's error
envelope is what users debug with, but they are never logged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

from multidict import CIMultiDict, CIMultiDictProxy

if TYPE_CHECKING:
    from .models import Attempt, BookingRequest, Slot

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "BookingOutcomeUnknown",
    "ConflictError",
    "DeadlineExceeded",
    "InternalServerError",
    "NotFoundError",
    "OutcomeUnknownError",
    "PermissionDeniedError",
    "RateLimitError",
    "RecoveryReason",
    "RocketLeadError",
    "SlotRecoveryExhausted",
    "SlotUnavailableError",
    "UnexpectedResponseError",
]

RecoveryReason = Literal["max_attempts", "deadline", "no_candidate", "declined", "refetch_failed"]
"""Why :class:`SlotRecoveryExhausted` gave up."""


def _rebuild(cls: type[RocketLeadError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class RocketLeadError(Exception):
    """Base class of every error this SDK raises.

    Every error pickles and deep-copies with its attributes (job queues and process pools
    carry them across processes); ``__cause__`` and tracebacks are not carried, as for any
    pickled exception.
    """

    def __reduce__(self) -> tuple[Any, ...]:
        # Exception's own __reduce__ calls cls(*args), which keyword-only __init__s refuse.
        # Every attribute pickles as it is (headers are kept as a CIMultiDict for that).
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


class APIConnectionError(RocketLeadError):
    """The request could not be completed at the network level (refused, reset, DNS, TLS).

    ``request_sent`` is ``False`` when the connection was never established (nothing reached the
    server), ``True`` or ``None`` (cannot tell) otherwise. ``transport_error`` names the
    underlying aiohttp/OS failure as text (``"ClientOSError: [Errno 104] ..."``): the raw
    exception is never chained, because its frames hold the request bytes, token included.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        request_sent: bool | None = None,
        transport_error: str | None = None,
    ) -> None:
        super().__init__(f"{method} {path}: {message}")
        self.message = message
        self.method = method
        self.path = path
        self.request_sent = request_sent
        self.transport_error = transport_error


class APITimeoutError(APIConnectionError):
    """An attempt timed out before a complete answer arrived."""


class DeadlineExceeded(APITimeoutError):
    """The call's total time budget (``timeout=``) ran out, retries included."""


class APIStatusError(RocketLeadError):
    """The server answered with an error status, or with a body that is not the documented JSON.

    ``status`` is the HTTP status, ``message`` the envelope's ``message`` (or a description of
    what was wrong with the body), ``body`` the decoded envelope or a short text excerpt, and
    ``retry_after`` the server's ``Retry-After`` in seconds when it sent one (429, 503).
    ``headers`` are the response headers (a read-only, case-insensitive ``CIMultiDictProxy``
    over a copy that pickles with the error; empty when the error was built without a
    response) and ``request_id`` the server's request id from the first of ``X-Request-Id``,
    ``Request-Id``, ``X-Amzn-RequestId`` it sent (``None`` if none), for support tickets. The
    token is scrubbed from all of them.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int,
        method: str,
        path: str,
        body: Any = None,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(f"{method} {path} -> {status}: {message}")
        self.status = status
        self.message = message
        self.body = body
        self.method = method
        self.path = path
        self.retry_after = retry_after
        # Kept as a CIMultiDict (it pickles); shown read-only through ``headers``.
        self._headers: CIMultiDict[str] = CIMultiDict(headers or ())
        self.request_id = request_id

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        """The response headers, read-only and case-insensitive."""
        return CIMultiDictProxy(self._headers)


class UnexpectedResponseError(APIStatusError):
    """The answer's body is not what the API documents: HTML from a proxy, empty, truncated,
    too large, or JSON of the wrong shape. ``body`` holds a short excerpt."""


class BadRequestError(APIStatusError):
    """400: the server rejected the request as invalid."""


class SlotUnavailableError(BadRequestError):
    """400 "The selected time slot is no longer available": another caller took the slot."""


class AuthenticationError(APIStatusError):
    """401: the token is missing, malformed, expired or revoked."""


class PermissionDeniedError(APIStatusError):
    """403: the token lacks the scope this call needs (read, write or admin)."""


class NotFoundError(APIStatusError):
    """404: no such object in your organization."""


class ConflictError(APIStatusError):
    """409: the server reported a conflict."""


class RateLimitError(APIStatusError):
    """429: too many requests. ``retry_after`` is the server's wait in seconds, if it sent one."""


class InternalServerError(APIStatusError):
    """5xx: the server failed."""


class OutcomeUnknownError(RocketLeadError):
    """A POST may or may not have been committed, and repeating it could create a duplicate.

    The API has no idempotency key and no way to look the object up, so the SDK stops here and
    hands the request back (``.request``) for the application to reconcile. The client's
    ``on_outcome_unknown`` hook receives this same error exactly once.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        request: Any,
        status: int | None = None,
    ) -> None:
        super().__init__(f"{method} {path}: outcome unknown: {message}")
        self.method = method
        self.path = path
        self.request = request
        self.status = status
        self.reason = message


class BookingOutcomeUnknown(OutcomeUnknownError):
    """A booking POST may have booked the slot: never book again blindly for this caller.

    ``request`` is the POST that may have booked. ``attempts`` is the history of the booking's
    POSTs (each an ``Attempt``, frame-free), this unknown one last with the failure that left it
    unknown as its ``error`` (this error itself if the caller was cancelled after sending), so
    an agent can tell the caller which time they may hold. It is complete before
    ``on_outcome_unknown`` sees the error; from ``bookings.create()`` it holds the one POST.
    """

    def __init__(
        self,
        message: str,
        *,
        method: str,
        path: str,
        request: BookingRequest,
        status: int | None = None,
        attempts: Sequence[Attempt] = (),
    ) -> None:
        super().__init__(message, method=method, path=path, request=request, status=status)
        self.request: BookingRequest = request
        self.attempts: tuple[Attempt, ...] = tuple(attempts)


class SlotRecoveryExhausted(RocketLeadError):
    """``bookings.book()`` gave up without a booking.

    ``reason`` is one of ``"max_attempts"``, ``"deadline"``, ``"no_candidate"``, ``"declined"``,
    ``"refetch_failed"`` (availability could not be fetched after the race; see ``__cause__``);
    ``attempts`` is the history of POSTs (what was tried and why each failed); ``alternatives`` are
    fresh, ranked, bookable slots a voice agent can offer (empty only if none exist in the window,
    or none could be fetched before the deadline).
    """

    def __init__(
        self,
        message: str,
        *,
        reason: RecoveryReason,
        attempts: Sequence[Attempt],
        alternatives: Sequence[Slot],
    ) -> None:
        super().__init__(message)
        self.reason: RecoveryReason = reason
        self.attempts = tuple(attempts)
        self.alternatives = tuple(alternatives)
