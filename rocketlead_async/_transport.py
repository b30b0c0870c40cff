"""The one request path: URL, headers, deadline, send, read, decode.

Every resource method describes its request as a :class:`Call`; :meth:`Transport.request` is the
only place that talks to aiohttp. The rules it applies live elsewhere, one home each: which
failure is retried or may have committed in ``_retry``, how answers and failures become typed
errors in ``_errormap``, how unknown outcomes reach the application in ``_outcomes``.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import math
import socket
import time
import weakref
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any, Generic, TypeVar

import aiohttp
from aiohttp.abc import AbstractStreamWriter
from yarl import URL

from . import _json
from ._errormap import excerpt, status_error, transport_error
from ._outcomes import LateOutcome, OutcomeReporter
from ._retry import (
    RetryPolicy,
    deleted_after_unknown,
    is_retryable,
    may_have_committed,
    retry_after_failure,
)
from ._secret import RedactedStr, scrub, scrub_bytes
from ._telemetry import NOOP, NOOP_ATTEMPT, Telemetry
from ._version import __version__
from .errors import (
    APIConnectionError,
    APIStatusError,
    BookingOutcomeUnknown,
    DeadlineExceeded,
    OutcomeUnknownError,
    RocketLeadError,
    UnexpectedResponseError,
)
from .models import Attempt

__all__ = ["USER_AGENT", "Call", "Transport"]

T = TypeVar("T")

logger = logging.getLogger("rocketlead_async")

USER_AGENT = f"rocketlead-async/{__version__}"

_CACHED = 256  # URLs and timeouts a transport keeps (see Transport._url)


class Call(Generic[T]):
    """One API call as a resource method describes it; every attempt reads it, nothing
    changes it. A plain class: made per call (an attrs one costs 1-3 us more to make, and
    about a millisecond of import time)."""

    __slots__ = (
        "body",
        "decode",
        "history",
        "late",
        "method",
        "on_sent",
        "params",
        "path",
        "request",
        "retry",
        "timeout",
        "unknown_error",
    )

    def __init__(
        self,
        method: str,
        path: str,  # already percent-encoded
        decode: Callable[[Any], T],
        timeout: float,
        retry: RetryPolicy,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        request: Any = None,
        unknown_error: type[OutcomeUnknownError] = OutcomeUnknownError,
        history: tuple[Attempt, ...] | None = None,
        late: bool = False,
        on_sent: Callable[[], None] | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.decode = decode
        self.timeout = timeout
        self.retry = retry
        self.params = params
        # Encoded once, before the first attempt. Not in the repr: it holds callers' data.
        self.body = body
        self.request = request  # handed back in OutcomeUnknownError; not in the repr either
        self.unknown_error = unknown_error
        # Earlier attempts of a booking: a BookingOutcomeUnknown carries them, this POST last.
        self.history = history
        # A booking POST: if the reporter takes late outcomes, its answer is read on after
        # the caller is cancelled (see Transport.request).
        self.late = late
        # Called synchronously each time a POST body starts going on the wire.
        self.on_sent = on_sent

    def __repr__(self) -> str:
        return (
            f"Call(method={self.method!r}, path={self.path!r}, timeout={self.timeout!r}, "
            f"params={self.params!r}, late={self.late!r})"
        )


class _Wire:
    """One late-readable call's state, shared by the caller and the task that runs it."""

    __slots__ = ("left", "on_wire", "written")

    def __init__(self) -> None:
        self.on_wire = False  # a POST is written and its answer not yet read
        self.written = False  # some POST of the call was written
        self.left = False  # the caller was cancelled: no further attempt


class _Body(aiohttp.BytesPayload):
    """A JSON request body that knows whether, and where, it was written.

    ``sent``: aiohttp started writing it. Until then nothing of the request reached the server
    in a form it could act on (aiohttp holds the headers back to send them with the body, and
    headers alone never make a POST), so a failure or cancellation before that certainly did
    not commit. This works for any session, the user's too, at no cost on the happy path.

    ``stale``: the connection already held bytes when the body was about to go out (an
    unsolicited response on an idle kept-alive connection, or the peer's close), or an answer
    arrived before the body was written. Such bytes cannot answer this request: the body is
    then never written, and the attempt fails as certainly not sent.
    """

    sent = False
    stale = False

    def __init__(
        self, value: bytes, wire: _Wire | None, on_sent: Callable[[], None] | None
    ) -> None:
        super().__init__(value, content_type="application/json")
        self._wire = wire
        self._on_sent = on_sent

    async def write(self, writer: AbstractStreamWriter) -> None:
        self._start(writer)
        await super().write(writer)

    async def write_with_length(
        self, writer: AbstractStreamWriter, content_length: int | None
    ) -> None:
        self._start(writer)
        await super().write_with_length(writer, content_length)

    def _start(self, writer: AbstractStreamWriter) -> None:
        if self._wire is not None and self._wire.left:
            # The caller was cancelled before a byte of the body went out (aiohttp writes it
            # from a task of its own, which may run after the cancellation): never send it.
            raise aiohttp.ClientConnectionError("the caller left before the request was written")
        if self.stale or _unsolicited(writer):
            self.stale = True
            raise aiohttp.ClientConnectionError("the connection held unsolicited data")
        if self.sent:
            return  # aiohttp writes a body once; never signal twice
        self.sent = True
        if self._wire is not None:
            self._wire.on_wire = self._wire.written = True
        if self._on_sent is not None:
            try:
                self._on_sent()
            except Exception:  # a signal for the caller must never break the POST
                logger.exception("on_sent hook failed")


# The connections (aiohttp's protocols) that have delivered a response through the SDK: only
# those can hold a stale one. A fresh TLS 1.3 connection's kernel buffer may hold the server's
# session tickets (Python before 3.12 reads them only with the first response); they answer
# nothing, and taking them for a stale answer failed every attempt of a booking POST on a
# fresh connection. A TLS connection only the user's own code has used is not peeked at.
_ANSWERED: weakref.WeakSet[Any] = weakref.WeakSet()


def _unsolicited(writer: AbstractStreamWriter) -> bool:
    """Whether the connection under ``writer`` already holds bytes nobody asked for yet."""
    protocol: Any = getattr(writer, "protocol", None)
    if protocol is None:  # pragma: no cover - a writer that is not aiohttp's StreamWriter
        return False
    # aiohttp's own "do not reuse" test: a parsed but unread message, leftover bytes, an error.
    if getattr(protocol, "should_close", False):
        return True
    transport = protocol.transport
    if transport is None or transport.is_closing():
        return True
    if protocol not in _ANSWERED and transport.get_extra_info("sslcontext") is not None:
        return False
    raw = transport.get_extra_info("socket")
    if raw is None:  # pragma: no cover - every socket transport has one
        return False
    # Bytes in the kernel buffer that the loop has not read yet, or the peer's close (b"").
    # On TLS these are records not yet decrypted: data, a close_notify or, rarely, a late
    # session ticket. Any of them makes the connection unfit for a booking POST; a false
    # alarm only costs the POST a fresh connection (it is then certainly not sent).
    # asyncio hands out a TransportSocket that cannot recv; the socket it wraps (non-blocking)
    # can, and a temporary socket object on the same descriptor is the fallback.
    sock = getattr(raw, "_sock", None)
    peek = sock if isinstance(sock, socket.socket) else socket.socket(fileno=raw.fileno())
    try:
        peek.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return False
    except OSError:
        return True
    finally:
        if peek is not sock:
            peek.detach()
    return True


def _on_the_wire(response: aiohttp.ClientResponse) -> bool:
    """Whether ``response`` was read from a connection (test doubles such as aioresponses
    build responses that never were; their request bodies are never written either)."""
    return getattr(response, "_protocol", None) is not None


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
        reporter: OutcomeReporter,
        clock: Callable[[], float] | None,
        sleep: Callable[[float], Awaitable[None]] | None,
        default_headers: Mapping[str, str] | None = None,
        telemetry: Telemetry = NOOP,
        pool_of: Transport | None = None,
    ) -> None:
        self.base_url = base_url
        self._secret = token
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
        self.reporter = reporter
        self.clock = clock or time.monotonic
        self._sleep = sleep or asyncio.sleep
        self._in_flight = 0
        self._idle: asyncio.Event | None = None  # set when the last call in flight ends
        self.closed = False
        self._urls: dict[str, URL] = {}
        self._timeouts: dict[float, aiohttp.ClientTimeout] = {}

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
        """Refuse new calls, let the calls in flight finish (each within its own budget), wait
        for every outcome hook, including ones those calls start, then close our session."""
        if self.closed:
            return
        self.closed = True
        if self._in_flight:
            self._idle = asyncio.Event()
            await self._idle.wait()
        await self.reporter.drain()
        if self._owns_session and self._session is not None:
            await self._session.close()

    # -- the call -----------------------------------------------------------------------------

    async def request(self, call: Call[T], wire: _Wire | None = None) -> T:
        """Run ``call`` within its budget and retry policy; return the decoded model.

        A booking POST (``call.late``) with an ``on_late_outcome`` hook runs in a task the
        client owns, so that a caller cancelled after the POST was written does not take the
        answer with it: the caller's ``CancelledError`` propagates at once, the task reads on
        (within the call's budget, making no further attempt) and the reporter delivers what it
        learns. Without the hook (or before anything is written) cancellation acts in place.

        The first attempt runs right here (one frame, :meth:`_send`, below it; no span when
        telemetry records nothing); the retry loop, the late-outcome task and the unknown-outcome
        report come in only when a call needs them.
        """
        if wire is None and call.late and self.reporter.on_late_outcome is not None:
            return await self._request_late(call)
        started = self.clock()
        deadline = started + call.timeout
        self._in_flight += 1
        try:
            try:
                return await self._attempt(call, 1, deadline, wire, call.timeout)
            except RocketLeadError as error:
                failure = error  # handled below, outside this block: nothing chains to it
            try:
                return await self._after_failure(call, failure, started, wire)
            finally:
                # The error leaves through this frame: held here too, it would be a cycle
                # (error -> traceback -> frame -> error) only the garbage collector frees.
                del failure
        finally:
            self._in_flight -= 1
            if not self._in_flight and self._idle is not None:
                self._idle.set()

    async def _request_late(self, call: Call[T]) -> T:
        wire = _Wire()
        started = self.clock()
        task = self.reporter.spawn(self.request(call, wire))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            wire.left = True
            if wire.on_wire or task.done():
                task.add_done_callback(functools.partial(self._late, call, wire, started))
            else:
                # Nothing of it is on the wire now (waiting for a connection, backing off):
                # it certainly did not commit this time, and no further attempt may start.
                task.cancel()
                task.add_done_callback(_retrieved)
            raise

    def _late(self, call: Call[Any], wire: _Wire, started: float, task: asyncio.Task[Any]) -> None:
        """Deliver the answer a cancelled caller did not wait for (a task's done callback)."""
        if task.cancelled():
            return  # cancelled while on the wire: reported as unknown where it happened
        error = task.exception()
        if isinstance(error, OutcomeUnknownError):
            return  # the answer could not be learned: already reported as unknown
        if error is not None and not isinstance(error, RocketLeadError):
            logger.error(
                "%s %s: the late answer could not be read: %r", call.method, call.path, error
            )
            return
        if error is not None and not wire.written:
            return  # never sent: nothing was booked, nothing to tell
        if error is not None:
            error.__traceback__ = None  # kept for the application: no transport frames
        booking = None if error is not None else task.result()
        attempt = Attempt(call.request, error, self.clock() - started)
        logger.info(
            "%s %s: answered after the caller was cancelled (%s); delivered to on_late_outcome",
            call.method,
            call.path,
            "booked" if booking is not None else type(error).__name__,
        )
        attempts = (*(call.history or ()), attempt)
        self.reporter.late(LateOutcome(call.request, booking, error, attempts))

    async def _after_failure(
        self, call: Call[T], failure: RocketLeadError, started: float, wire: _Wire | None
    ) -> T:
        """Retry ``failure`` if the rules allow; report a POST that may have committed."""
        method, deadline = call.method, started + call.timeout
        if call.retry.max_attempts > 1 and is_retryable(method, failure):
            earlier_unknown = may_have_committed(failure)
            latest = failure

            async def attempt(number: int) -> T:
                nonlocal earlier_unknown, latest
                if wire is not None and wire.left:
                    raise latest  # the caller left: nothing more is sent for it
                left = deadline - self.clock()
                try:
                    return await self._attempt(call, number, deadline, wire, left)
                except RocketLeadError as error:
                    latest = error
                    if deleted_after_unknown(method, error, earlier_unknown):
                        logger.info("DELETE %s: 404 after an unknown attempt: deleted", call.path)
                        return None  # type: ignore[return-value]
                    earlier_unknown = earlier_unknown or may_have_committed(error)
                    raise

            try:
                return await retry_after_failure(
                    failure,
                    attempt,
                    method=method,
                    path=call.path,
                    policy=call.retry,
                    remaining=lambda: deadline - self.clock(),
                    sleep=self._sleep,
                )
            except RocketLeadError as error:
                failure = error
        # The errors raised here are dropped from this frame as they leave it: a frame that
        # holds the error its traceback holds is a cycle only the garbage collector frees.
        if method == "POST" and may_have_committed(failure):
            unknown = self._unknown(call, failure, started)
            self.reporter.unknown(unknown)
            try:
                raise unknown from failure
            finally:
                del unknown, failure
        try:
            raise failure
        finally:
            del failure

    def _attempt(
        self, call: Call[T], number: int, deadline: float, wire: _Wire | None, left: float
    ) -> Coroutine[Any, Any, T]:
        """Attempt ``number`` of ``call`` with ``left`` seconds of its budget, in a telemetry
        span only when one is recorded (not a coroutine: no frame of its own)."""
        if self.telemetry.recording():
            return self._traced(call, number, deadline, wire, left)
        return self._send(call, number, deadline, wire, left, NOOP_ATTEMPT)

    async def _traced(
        self, call: Call[T], number: int, deadline: float, wire: _Wire | None, left: float
    ) -> T:
        with self.telemetry.attempt(
            call.method, call.path, self._host, self._port, number, self.base_url
        ) as span:
            return await self._send(call, number, deadline, wire, left, span)

    async def _send(
        self,
        call: Call[T],
        number: int,
        deadline: float,
        wire: _Wire | None,
        left: float,
        span: Any,
    ) -> T:
        method, path = call.method, call.path
        started = deadline - left
        if left <= 0:
            raise DeadlineExceeded(
                "the call's time budget ran out", method=method, path=path, request_sent=False
            )
        limit = left
        attempt_timeout = call.retry.attempt_timeout
        if attempt_timeout is not None and attempt_timeout < left:
            limit = attempt_timeout
        session = self.session()
        body = None if call.body is None else _Body(call.body, wire, call.on_sent)
        failure: APIConnectionError | None = None
        try:
            async with session.request(
                method,
                self._url(path),
                params=call.params,
                data=body,
                headers=self._headers if body is None else self._json_headers,
                timeout=self._timeout(limit),
                # Per request, so a user's session defaults cannot change what we see:
                allow_redirects=False,  # a 3xx to a POST is an answer, not a new request
                raise_for_status=False,
                auto_decompress=True,
                middlewares=(),  # a session middleware could repeat a booking POST
            ) as response:
                # Not response.connection: an answer that arrived whole has released it already
                # (the usual case), and its connection has answered the SDK all the same.
                protocol = getattr(response, "_protocol", None)
                if protocol is not None:
                    _ANSWERED.add(protocol)
                if body is not None and not body.sent and _on_the_wire(response):
                    # Bytes that arrived before the body was written cannot answer it.
                    body.stale = True
                    response.close()
                else:
                    status = response.status
                    span.status(status)
                    raw = await self._read(response, method, path)
                    headers = response.headers
        except asyncio.CancelledError:
            if method == "POST" and body is not None and body.sent:
                unknown = self._unknown(call, None, deadline - call.timeout)
                self.reporter.unknown(unknown)
            raise
        except Exception as exc:
            # Mapped here, raised below, outside this block: raising it here would chain the
            # raw exception as its __context__, frames and all.
            failure = transport_error(
                exc,
                method,
                path,
                sent=None if body is None else body.sent,
                limit=limit,
                budget=call.timeout,
                budget_bound=limit >= left,
                secret=self._secret,
            )
            if failure is None:
                raise  # ours (RocketLeadError) or a bug: unchanged
        finally:
            if wire is not None:
                wire.on_wire = False  # answered, failed or cancelled: no longer in flight
        if body is not None and body.stale:
            failure = APIConnectionError(
                "the connection held unsolicited data, or the server had closed it, before "
                "the request was written; nothing was sent",
                method=method,
                path=path,
                request_sent=False,
            )
        if failure is not None:
            failed = (failure.transport_error or "").partition(":")[0]
            self._log(method, path, failed or type(failure).__name__, number, started)
            raise failure
        self._log(method, path, status, number, started)
        if 200 <= status < 300:
            return self._decode(call, status, raw)
        raise status_error(method, path, status, raw, headers, secret=self._secret)

    def _url(self, path: str) -> URL:
        """The URL of ``path`` (already percent-encoded), parsed once per path: most calls
        go to a handful of collection paths; ids make the rest, so the cache is bounded."""
        url = self._urls.get(path)
        if url is None:
            if len(self._urls) >= _CACHED:
                self._urls.clear()
            url = self._urls[path] = URL(self.base_url + path, encoded=True)
        return url

    def _timeout(self, limit: float) -> aiohttp.ClientTimeout:
        """aiohttp's timeout for an attempt of ``limit`` seconds, made once per value: a first
        attempt's limit is its call's timeout (or attempt timeout), a per-client constant."""
        timeout = self._timeouts.get(limit)
        if timeout is None:
            if len(self._timeouts) >= _CACHED:
                self._timeouts.clear()
            # aiohttp rounds deadlines of timeouts >= ceil_threshold (5 s) up to the next whole
            # second of loop time: never, or a call overruns its budget.
            timeout = aiohttp.ClientTimeout(total=limit, ceil_threshold=math.inf)
            self._timeouts[limit] = timeout
        return timeout

    def _log(self, method: str, path: str, result: object, number: int, started: float) -> None:
        if logger.isEnabledFor(logging.DEBUG):
            elapsed = (self.clock() - started) * 1000
            logger.debug(
                "%s %s -> %s attempt=%d elapsed=%.1fms", method, path, result, number, elapsed
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
        """The model from a 2xx body; any failure to read it is an UnexpectedResponseError."""
        method, path = call.method, call.path
        if method == "DELETE":
            # A 2xx DELETE has deleted; whatever body came with it (a proxy page) is moot.
            return None  # type: ignore[return-value]
        if not raw:
            raise UnexpectedResponseError("empty body", status=status, method=method, path=path)
        try:
            data = _json.loads(raw)
        except ValueError:
            text = excerpt(scrub_bytes(raw, self._secret.encode()))
            failure = f"body is not JSON (truncated or a proxy page?): {text}"
        else:
            try:
                return call.decode(data)
            except Exception as exc:  # a 2xx booking must end typed, whatever the shape
                text = excerpt(scrub_bytes(raw, self._secret.encode()))
                failure = scrub(str(exc), self._secret) or type(exc).__name__
        raise UnexpectedResponseError(failure, status=status, method=method, path=path, body=text)

    # -- unknown outcomes ---------------------------------------------------------------------

    def _unknown(
        self, call: Call[Any], error: RocketLeadError | None, started: float
    ) -> OutcomeUnknownError:
        """The unknown-outcome error for ``call`` (``error=None``: the caller was cancelled
        after sending), complete with its history, ready for the reporter."""
        self.telemetry.outcome_unknown(call.method, call.path)
        status: int | None = None
        if error is None:
            reason = log_reason = "the calling task was cancelled after sending"
        elif isinstance(error, APIStatusError):
            status = error.status
            # The message may quote the body (a truncated booking): the exception only.
            reason = f"status {status}: {error.message}"
            log_reason = f"status {status}, {type(error).__name__}"
        else:
            message = getattr(error, "message", "")
            reason = log_reason = f"{type(error).__name__}: {message}"
        logger.warning(
            "%s %s: outcome unknown (%s); not repeated, %s",
            call.method,
            call.path,
            log_reason,
            self.reporter.unknown_destination,
        )
        unknown = call.unknown_error(
            reason, method=call.method, path=call.path, request=call.request, status=status
        )
        if isinstance(unknown, BookingOutcomeUnknown):
            # This POST goes last with the failure that left it unknown (the unknown itself if
            # the caller was cancelled: it is never raised), frame-free: an error that holds
            # its traceback in its own history would keep the whole call's frames in a cycle.
            if error is not None:
                error.__traceback__ = None
            attempt = Attempt(call.request, error or unknown, self.clock() - started)
            unknown.attempts = (*(call.history or ()), attempt)
        return unknown


def _retrieved(task: asyncio.Task[Any]) -> None:
    """Mark a stopped task's outcome as seen (it concerns nobody: nothing was sent)."""
    if not task.cancelled():
        task.exception()
