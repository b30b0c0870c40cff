"""The one request path: URL, headers, deadline, send, read, decode, map errors, retry.

Every resource method describes its request as a :class:`Call`; :meth:`Transport.request` is the
only place that talks to aiohttp.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

import aiohttp
import attrs
from aiohttp.abc import AbstractStreamWriter
from yarl import URL

from . import _json
from ._convert import ResponseShapeError
from ._retry import RetryPolicy, is_retryable, may_have_committed, parse_retry_after
from ._retry import retry_after_failure as _retry_after_failure
from ._secret import RedactedStr
from ._telemetry import NOOP, Telemetry
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    DeadlineExceeded,
    InternalServerError,
    NotFoundError,
    OutcomeUnknownError,
    PermissionDeniedError,
    RateLimitError,
    RocketLeadError,
    SlotUnavailableError,
    UnexpectedResponseError,
)

__all__ = ["USER_AGENT", "Call", "OutcomeUnknownHook", "Transport"]

T = TypeVar("T")

logger = logging.getLogger("rocketlead_async")

USER_AGENT = f"rocketlead-async/{__version__}"
OutcomeUnknownHook = Callable[[OutcomeUnknownError], "Awaitable[None] | None"]

_EXCERPT_CHARS = 200
_STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    429: RateLimitError,
}


@attrs.frozen
class Call(Generic[T]):
    """One API call as a resource method describes it."""

    method: str
    path: str  # already percent-encoded
    decode: Callable[[Any], T]
    timeout: float
    retry: RetryPolicy
    params: Mapping[str, str] | None = None
    body: bytes | None = None  # encoded once, before the first attempt
    request: Any = None  # the model handed back in OutcomeUnknownError
    unknown_error: type[OutcomeUnknownError] = OutcomeUnknownError


def _excerpt(raw: bytes) -> str:
    text = raw[: _EXCERPT_CHARS * 4].decode("utf-8", errors="replace")
    text = " ".join(text.split())
    return text[:_EXCERPT_CHARS] + ("…" if len(text) > _EXCERPT_CHARS else "")


def _envelope_message(body: Any) -> str | None:
    if isinstance(body, dict):
        message = body.get("message")
        if isinstance(message, str):
            return message
        # NestJS-style validation errors send a list of messages.
        if isinstance(message, list) and all(isinstance(part, str) for part in message):
            return "; ".join(message)
    return None


def status_error(
    method: str, path: str, status: int, raw: bytes, retry_after: str | None
) -> APIStatusError:
    """The typed error for a non-2xx answer, from the ``{statusCode, message}`` envelope."""
    body: Any
    try:
        body = _json.loads(raw) if raw else None
    except (_json.DecodeError, ValueError):
        body = None
    message = _envelope_message(body)
    if message is None:
        body = _excerpt(raw) if raw else None
        message = f"non-JSON error body: {body}" if raw else "empty error body"
    cls = _STATUS_ERRORS.get(status) or (InternalServerError if status >= 500 else APIStatusError)
    if cls is BadRequestError and "no longer available" in message.lower():
        cls = SlotUnavailableError
    return cls(
        message,
        status=status,
        method=method,
        path=path,
        body=body,
        retry_after=parse_retry_after(retry_after),
    )


class _Body(aiohttp.BytesPayload):
    """A JSON request body that notes when aiohttp starts writing it.

    Until then nothing of the request can have reached the server in a form it could act on
    (headers alone do not make a POST), so a failure or cancellation before that point
    certainly did not commit. This works for any session, the user's too, and costs nothing
    on the happy path, unlike an aiohttp trace config.
    """

    sent = False

    def __init__(self, value: bytes) -> None:
        super().__init__(value, content_type="application/json")

    async def write(self, writer: AbstractStreamWriter) -> None:
        self.sent = True
        await super().write(writer)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        self.sent = True
        await super().write_with_length(writer, content_length)


class Transport:
    """Owns the aiohttp session (unless the user supplied one) and runs every call."""

    def __init__(
        self,
        *,
        base_url: str,
        token: RedactedStr,
        session: aiohttp.ClientSession | None,
        max_connections: int,
        max_response_bytes: int,
        on_outcome_unknown: OutcomeUnknownHook | None,
        clock: Callable[[], float] | None,
        sleep: Callable[[float], Awaitable[None]] | None,
        default_headers: Mapping[str, str] | None = None,
        telemetry: Telemetry = NOOP,
        pool_of: Transport | None = None,
    ) -> None:
        self.base_url = base_url
        self.telemetry = telemetry
        url = URL(base_url)
        self._host, self._port = url.host or "", url.port
        self._headers = {
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
            **(default_headers or {}),
            "Authorization": RedactedStr("Bearer " + token),
        }
        self._json_headers = {**self._headers, "Content-Type": "application/json"}
        self._session = session
        # A with_options() copy for another endpoint or token borrows its original's pool.
        self._pool_of = pool_of
        self._owns_session = session is None and pool_of is None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._max_connections = max_connections
        self._max_response_bytes = max_response_bytes
        self._on_outcome_unknown = on_outcome_unknown
        self.clock = clock or time.monotonic
        self._sleep = sleep or asyncio.sleep
        self._hook_tasks: set[asyncio.Task[None]] = set()
        self.closed = False

    def __repr__(self) -> str:
        return f"<Transport {self.base_url}>"

    # -- session lifecycle --------------------------------------------------------------------

    def session(self) -> aiohttp.ClientSession:
        """The session, created on first use inside the running loop."""
        if self.closed:
            raise RuntimeError("this RocketLeadClient is closed")
        if self._pool_of is not None:
            return self._pool_of.session()
        loop = asyncio.get_running_loop()
        if self._session is None:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._max_connections),
            )
            # The SDK owns every retry: aiohttp would silently resend a GET/DELETE once on a
            # dropped keep-alive connection, hiding it from attempt counts and budgets.
            self._session._retry_connection = False
            self._loop = loop
        elif self._owns_session and self._loop is not loop:
            raise RuntimeError(
                "this RocketLeadClient was first used in another event loop; "
                "create one client per loop"
            )
        return self._session

    async def aclose(self) -> None:
        """Wait for pending outcome-unknown hooks, then close the session if we made it."""
        if self.closed:
            return
        self.closed = True
        if self._hook_tasks:
            await asyncio.gather(*self._hook_tasks, return_exceptions=True)
        if self._owns_session and self._session is not None:
            await self._session.close()

    # -- the call -----------------------------------------------------------------------------

    async def request(self, call: Call[T]) -> T:
        """Run ``call`` within its budget and retry policy; return the decoded model."""
        deadline = self.clock() + call.timeout

        def remaining() -> float:
            return deadline - self.clock()

        earlier_unknown = False

        async def attempt(number: int) -> T:
            nonlocal earlier_unknown
            try:
                with self.telemetry.attempt(
                    call.method, call.path, self._host, self._port, number
                ) as span:
                    return await self._attempt(call, number, remaining, span)
            except NotFoundError:
                if call.method == "DELETE" and earlier_unknown:
                    # An earlier attempt of this call may have deleted it already.
                    logger.info("DELETE %s: 404 after an unknown attempt: deleted", call.path)
                    return None  # type: ignore[return-value]
                raise
            except RocketLeadError as error:
                earlier_unknown = earlier_unknown or may_have_committed(error)
                raise

        try:
            try:
                return await attempt(1)
            except RocketLeadError as first_error:
                if call.retry.max_attempts <= 1 or not is_retryable(call.method, first_error):
                    raise
                return await _retry_after_failure(
                    first_error,
                    attempt,
                    method=call.method,
                    path=call.path,
                    policy=call.retry,
                    remaining=remaining,
                    sleep=self._sleep,
                )
        except RocketLeadError as error:
            if call.method == "POST" and may_have_committed(error):
                raise await self._outcome_unknown(call, error) from error
            raise

    async def _attempt(
        self, call: Call[T], number: int, remaining: Callable[[], float], span: Any = None
    ) -> T:
        method, path = call.method, call.path
        left = remaining()
        if left <= 0:
            raise DeadlineExceeded(
                "the call's time budget ran out", method=method, path=path, request_sent=False
            )
        limit = left
        if call.retry.attempt_timeout is not None and call.retry.attempt_timeout < left:
            limit = call.retry.attempt_timeout
        session = self.session()
        body = None if call.body is None else _Body(call.body)
        started = self.clock()
        try:
            async with session.request(
                method,
                URL(self.base_url + path, encoded=True),
                params=call.params,
                data=body,
                headers=self._headers if call.body is None else self._json_headers,
                # aiohttp rounds deadlines of timeouts >= ceil_threshold (5 s) up to the
                # next whole second of loop time: never, or a call overruns its budget.
                timeout=aiohttp.ClientTimeout(total=limit, ceil_threshold=math.inf),
                allow_redirects=False,
            ) as response:
                status = response.status
                if span is not None:
                    span.status(status)
                raw = await self._read(response, method, path)
                retry_after = response.headers.get("Retry-After")
        except asyncio.CancelledError:
            if method == "POST" and body is not None and body.sent:
                self._outcome_unknown_after_cancel(call)
            raise
        except RocketLeadError:
            raise
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            timed_out = isinstance(exc, asyncio.TimeoutError)
            self._log_failure(method, path, exc, number, started)
            raise self._transport_error(
                call, exc, limit, left, sent=False, timed_out=timed_out
            ) from exc
        except (asyncio.TimeoutError, aiohttp.ClientError, OSError) as exc:
            timed_out = isinstance(exc, asyncio.TimeoutError)
            self._log_failure(method, path, exc, number, started)
            sent = None if body is None else body.sent
            raise self._transport_error(
                call, exc, limit, left, sent=sent, timed_out=timed_out
            ) from exc
        finally:
            elapsed = self.clock() - started
        logger.debug(
            "%s %s -> %d attempt=%d elapsed=%.1fms", method, path, status, number, elapsed * 1000
        )
        if 200 <= status < 300:
            return self._decode(call, status, raw)
        raise status_error(method, path, status, raw, retry_after)

    def _log_failure(
        self, method: str, path: str, exc: BaseException, number: int, started: float
    ) -> None:
        elapsed = self.clock() - started
        logger.debug(
            "%s %s -> %s attempt=%d elapsed=%.1fms",
            method,
            path,
            type(exc).__name__,
            number,
            elapsed * 1000,
        )

    def _transport_error(
        self,
        call: Call[Any],
        exc: BaseException,
        limit: float,
        left: float,
        *,
        sent: bool | None,
        timed_out: bool,
    ) -> APIConnectionError:
        method, path = call.method, call.path
        if not timed_out:
            detail = str(exc) or type(exc).__name__
            return APIConnectionError(detail, method=method, path=path, request_sent=sent)
        if limit >= left:
            return DeadlineExceeded(
                f"no answer within the call's budget ({call.timeout:g}s)",
                method=method,
                path=path,
                request_sent=sent,
            )
        return APITimeoutError(
            f"no answer within the attempt timeout ({limit:g}s)",
            method=method,
            path=path,
            request_sent=sent,
        )

    async def _read(self, response: aiohttp.ClientResponse, method: str, path: str) -> bytes:
        cap = self._max_response_bytes
        length = response.content_length
        # Content-Length counts wire bytes; a compressed body (aiohttp inflates it) can be far
        # larger, so only an identity-encoded body is trusted to hold what the header says.
        encoding = response.headers.get("Content-Encoding", "").strip().lower()
        inflates = encoding not in ("", "identity")
        if length is not None and length <= cap and not inflates:
            return await response.read()
        if length is None or (inflates and length <= cap):
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.content.iter_any():
                size += len(chunk)
                if size > cap:
                    break
                chunks.append(chunk)
            else:
                return b"".join(chunks)
        raise UnexpectedResponseError(
            f"response body larger than max_response_bytes ({cap} bytes); not read",
            status=response.status,
            method=method,
            path=path,
        )

    def _decode(self, call: Call[T], status: int, raw: bytes) -> T:
        method, path = call.method, call.path
        if call.method == "DELETE":
            # A 2xx DELETE has deleted; whatever body came with it (a proxy page) is moot.
            return None  # type: ignore[return-value]
        if not raw:
            raise UnexpectedResponseError("empty body", status=status, method=method, path=path)
        try:
            data = _json.loads(raw)
        except (_json.DecodeError, ValueError):
            excerpt = _excerpt(raw)
            raise UnexpectedResponseError(
                f"body is not JSON (truncated or a proxy page?): {excerpt}",
                status=status,
                method=method,
                path=path,
                body=excerpt,
            ) from None
        try:
            return call.decode(data)
        except ResponseShapeError as exc:
            raise UnexpectedResponseError(
                str(exc), status=status, method=method, path=path, body=_excerpt(raw)
            ) from None

    # -- unknown outcomes ---------------------------------------------------------------------

    def _unknown_error(
        self, call: Call[Any], reason: str, status: int | None, log_reason: str | None = None
    ) -> OutcomeUnknownError:
        # ``reason`` may quote the response body (an excerpt of a truncated booking, a proxy
        # page): it goes into the exception only; the log line gets ``log_reason``.
        self.telemetry.outcome_unknown(call.method, call.path)
        logger.warning(
            "%s %s: outcome unknown (%s); not repeated, reported to on_outcome_unknown",
            call.method,
            call.path,
            reason if log_reason is None else log_reason,
        )
        return call.unknown_error(
            reason, method=call.method, path=call.path, request=call.request, status=status
        )

    async def _outcome_unknown(
        self, call: Call[Any], error: RocketLeadError
    ) -> OutcomeUnknownError:
        status: int | None = None
        log_reason = type(error).__name__
        if isinstance(error, APIStatusError):
            status = error.status
            reason = f"status {status}: {error.message}"
            log_reason = f"status {status}, {log_reason}"
        elif isinstance(error, APIConnectionError):
            reason = log_reason = f"{type(error).__name__}: {error.message}"
        else:  # pragma: no cover - may_have_committed() admits only the two above
            reason = type(error).__name__
        unknown = self._unknown_error(call, reason, status, log_reason)
        pending = self._notify(unknown)
        if pending is not None:
            # Shielded: cancelling the caller while the hook runs must not cancel the report
            # of a booking that may exist (aclose() waits for it).
            await asyncio.shield(pending)
        return unknown

    def _outcome_unknown_after_cancel(self, call: Call[Any]) -> None:
        # The caller is being cancelled: an async hook runs in a task of its own that
        # aclose() waits for, so an unknown booking is never silently forgotten.
        self._notify(
            self._unknown_error(call, "the calling task was cancelled after sending", None)
        )

    def _notify(self, unknown: OutcomeUnknownError) -> asyncio.Task[None] | None:
        """Call ``on_outcome_unknown``; an async hook becomes a tracked task, returned."""
        hook = self._on_outcome_unknown
        if hook is None:
            return None
        try:
            result = hook(unknown)
        except Exception:
            logger.exception("on_outcome_unknown hook failed")
            return None
        if not inspect.isawaitable(result):
            return None
        task = asyncio.ensure_future(_guarded(result))
        self._hook_tasks.add(task)
        task.add_done_callback(self._hook_tasks.discard)
        return task


async def _guarded(awaitable: Awaitable[None]) -> None:
    try:
        await awaitable
    except Exception:
        logger.exception("on_outcome_unknown hook failed")
