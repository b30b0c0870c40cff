"""RocketLeadClient: configuration, session lifecycle and the resource namespaces."""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import Awaitable, Callable, Mapping
from types import TracebackType
from typing import Any

import aiohttp
from yarl import URL

from ._outcomes import LateOutcomeHook, OutcomeReporter, OutcomeUnknownHook
from ._retry import RetryPolicy, check_retry
from ._seats import SeatClaims, SeatClaimsProtocol
from ._secret import RedactedStr, check_token, scrub
from ._telemetry import make_telemetry
from ._transport import Transport
from ._validate import check_int, check_timeout
from .resources import (
    AppointmentTypeResourceMappingsResource,
    AppointmentTypesResource,
    AvailabilityResource,
    BookingsResource,
    CalendarsResource,
    LeadsResource,
    ResourceCalendarMappingsResource,
    ResourceSlotBlockersResource,
    ResourceSlotsResource,
    ResourcesResource,
    TablesResource,
)

__all__ = ["DEFAULT_BASE_URL", "RocketLeadClient"]

DEFAULT_BASE_URL = "https://api.rocketlead.io"
TOKEN_ENV = "ROCKETLEAD_API_TOKEN"
BASE_URL_ENV = "ROCKETLEAD_BASE_URL"
INSECURE_HTTP_ENV = "ROCKETLEAD_ALLOW_INSECURE_HTTP"

logger = logging.getLogger("rocketlead_async")

# Headers the SDK itself must set: the token goes in through ``token=``, bodies are its own.
_RESERVED_HEADERS = frozenset({"authorization", "content-type", "content-length", "host"})


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 and the name ``localhost`` itself.

    Not ``*.localhost``: RFC 6761 lets resolvers send those to loopback, but nothing forces a
    resolver (or an /etc/hosts entry) to, so such a name can reach another machine.
    """
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def check_base_url(base_url: str, *, allow_insecure_http: bool = False) -> str:
    """``base_url`` normalised; https is required except for loopback hosts (test servers).

    ``allow_insecure_http=True`` also accepts plain http to any host, for test setups such as
    a FakeRocketLead in another docker-compose service: the token then travels in clear text.
    """
    if not isinstance(base_url, str):
        raise TypeError(f"base_url must be a str, not {type(base_url).__name__}")
    try:
        url = URL(base_url)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"base_url {base_url!r} is not a URL: {exc}") from None
    if not url.is_absolute() or not url.host:
        raise ValueError(f"base_url {base_url!r} must be absolute, like {DEFAULT_BASE_URL!r}")
    if url.user is not None or url.password is not None:
        raise ValueError("base_url must not carry credentials; pass token= instead")
    if url.query_string or url.fragment:
        raise ValueError(f"base_url {base_url!r} must not have a query or fragment")
    if url.scheme == "http" and not is_loopback(url.host) and allow_insecure_http:
        logger.warning(
            "plain http to %s (allow_insecure_http): the API token travels unencrypted; "
            "use this only for test servers",
            url.host,
        )
    elif url.scheme != "https" and not (url.scheme == "http" and is_loopback(url.host)):
        raise ValueError(
            f"base_url {base_url!r} must use https (plain http is allowed only for loopback "
            "hosts such as a local FakeRocketLead, or for test hosts with "
            f"allow_insecure_http=True / {INSECURE_HTTP_ENV}=1): the token would travel in "
            "clear text"
        )
    return str(url).rstrip("/")


def check_default_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Extra headers for every request: ``str`` names and values, none the SDK sets itself."""
    if headers is None:
        return {}
    if not isinstance(headers, Mapping):
        raise TypeError(f"default_headers must be a mapping, not {type(headers).__name__}")
    checked = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError("default_headers names and values must be str")
        if name.lower() in _RESERVED_HEADERS:
            raise ValueError(f"default_headers must not set {name!r}; the SDK sets it")
        if any(c in name + value for c in "\r\n"):
            raise ValueError(f"default_headers[{name!r}] must not contain a line break")
        checked[name] = value
    return checked


class RocketLeadClient:
    """An async client for the RocketLead Connect API.

    Use it as ``async with RocketLeadClient(...) as client:`` or call :meth:`aclose`. The aiohttp
    session is created lazily inside the running loop; a ``session`` you pass is used as-is and
    never closed by the client (aiohttp may then silently resend a GET/DELETE once on a dropped
    keep-alive connection; sessions the SDK creates turn that off so every retry is counted).
    Each request sets its own ``raise_for_status=False``, ``auto_decompress=True``,
    ``allow_redirects=False`` and no middlewares, so a session's defaults never change what
    the SDK sees or how often it sends.

    - ``token``: ``rocketlead_...``; default: the ``ROCKETLEAD_API_TOKEN`` environment variable.
    - ``base_url``: the API root; default: ``ROCKETLEAD_BASE_URL``, else the production API.
      https only, except loopback hosts (127.0.0.0/8, ::1, ``localhost``).
    - ``allow_insecure_http``: also accept plain http to other hosts (test servers in another
      container); default: ``ROCKETLEAD_ALLOW_INSECURE_HTTP=1``. Logs a warning: the token
      travels in clear text.
    - ``default_headers``: extra headers sent with every request (not ``Authorization`` or
      ``Content-Type``, which the SDK sets).
    - ``telemetry``: OpenTelemetry spans and metrics (``[otel]`` extra); default: on when
      ``opentelemetry-api`` is installed, unless ``ROCKETLEAD_OTEL=off``.
      ``tracer_provider``/``meter_provider``: default the global ones.
    - ``timeout``: default budget in seconds for a whole call, retries included.
    - ``retry``: default :class:`RetryPolicy`.
    - ``on_outcome_unknown``: called (sync or async) exactly once with each
      :class:`OutcomeUnknownError`, also when the calling task was cancelled after the POST was
      sent, so an application can reconcile a booking that may exist. An async hook runs as a
      task of its own (the call raises at once, its budget untouched); :meth:`aclose` waits
      for it. Its errors are logged.
    - ``on_late_outcome``: called (sync or async, as a task; errors logged) exactly once with a
      :class:`LateOutcome` when the task awaiting ``bookings.create()``/``bookings.book()`` was
      cancelled after the booking POST was written (a caller barging in, a tool timeout): the
      client reads the answer on, within the call's budget, and delivers the booking or the
      definite error here; an answer it cannot learn goes to ``on_outcome_unknown`` instead,
      never to both. Without it, such a POST is reported to ``on_outcome_unknown`` at once.
    - ``max_connections``: connection-pool bound of the SDK's session.
    - ``max_response_bytes``: larger answers are refused unread.
    - ``seat_claims``: how ``bookings.book()`` calls keep out of each other's way after a lost
      race: a :class:`SeatClaims` of its own (the default: calls on this client coordinate) or
      :class:`rocketlead_async.claims.RedisSeatClaims` (calls in every process and host using
      the same Redis coordinate). Shared with clients made by :meth:`with_options`.
    - ``clock``/``sleep``: monotonic clock and sleep, injectable for tests.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
        on_outcome_unknown: OutcomeUnknownHook | None = None,
        on_late_outcome: LateOutcomeHook | None = None,
        max_connections: int = 100,
        max_response_bytes: int = 8 * 1024 * 1024,
        seat_claims: SeatClaimsProtocol | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        default_headers: Mapping[str, str] | None = None,
        allow_insecure_http: bool | None = None,
        telemetry: bool | None = None,
        tracer_provider: Any = None,
        meter_provider: Any = None,
        _parent: RocketLeadClient | None = None,
    ) -> None:
        if isinstance(token, str):
            token = RedactedStr(token)  # if a check below raises, traceback locals show '***'
        elif token is not None:
            kind = type(token).__name__
            token = None  # bytes of a token would show among a rendered traceback's locals
            raise TypeError(f"token must be a str, not {kind}")
        secret = check_token(os.environ.get(TOKEN_ENV, "") if token is None else token)
        for name, hook in (
            ("on_outcome_unknown", on_outcome_unknown),
            ("on_late_outcome", on_late_outcome),
        ):
            if hook is not None and not callable(hook):
                raise TypeError(f"{name} must be callable or None, not {type(hook).__name__}")
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise TypeError("session must be an aiohttp.ClientSession")
        if seat_claims is not None and not isinstance(seat_claims, SeatClaimsProtocol):
            raise TypeError(
                "seat_claims must be a SeatClaims, a RedisSeatClaims or another "
                f"SeatClaimsProtocol, not {type(seat_claims).__name__}"
            )
        max_connections = check_int(max_connections, "max_connections")
        max_response_bytes = check_int(max_response_bytes, "max_response_bytes")
        if base_url is None:
            base_url = os.environ.get(BASE_URL_ENV, "").strip() or DEFAULT_BASE_URL
        if allow_insecure_http is None:
            allow_insecure_http = _env_flag(INSECURE_HTTP_ENV)
        try:
            url = check_base_url(base_url, allow_insecure_http=allow_insecure_http)
        except (TypeError, ValueError) as exc:
            # The message quotes base_url, which may be the token pasted in the wrong place.
            raise type(exc)(scrub(str(exc), secret)) from None
        headers = check_default_headers(default_headers)
        policy = RetryPolicy() if retry is None else check_retry(retry)
        # What with_options() needs to build a sibling through this constructor.
        self._options: dict[str, Any] = {
            "token": secret,
            "base_url": url,
            "session": session,
            "on_outcome_unknown": on_outcome_unknown,
            "on_late_outcome": on_late_outcome,
            "max_connections": max_connections,
            "max_response_bytes": max_response_bytes,
            "clock": clock,
            "sleep": sleep,
            "default_headers": headers,
            "allow_insecure_http": allow_insecure_http,
            "seat_claims": seat_claims,
            "telemetry": telemetry,
            "tracer_provider": tracer_provider,
            "meter_provider": meter_provider,
        }
        if _parent is not None and _parent._options == self._options:
            # Same endpoint, identity and headers: share the parent's session and hooks.
            self._setup(
                _parent._transport,
                check_timeout(timeout),
                policy,
                _parent.seat_claims,
                owner=False,
            )
            return
        transport = Transport(
            base_url=url,
            token=secret,
            session=session,
            max_connections=max_connections,
            max_response_bytes=max_response_bytes,
            reporter=OutcomeReporter(on_outcome_unknown, on_late_outcome),
            clock=clock,
            sleep=sleep,
            default_headers=headers,
            telemetry=make_telemetry(
                telemetry, tracer_provider=tracer_provider, meter_provider=meter_provider
            ),
            pool_of=None if _parent is None or session is not None else _parent._transport,
        )
        claims = SeatClaims() if seat_claims is None else seat_claims
        self._setup(transport, check_timeout(timeout), policy, claims, owner=True)

    def _setup(
        self,
        transport: Transport,
        timeout: float,
        retry: RetryPolicy,
        seat_claims: SeatClaimsProtocol,
        owner: bool,
    ) -> None:
        self._transport = transport
        self.seat_claims = seat_claims
        self._owner = owner
        self._timeout = timeout
        self._retry = retry
        self.availability = AvailabilityResource(self)
        self.bookings = BookingsResource(self)
        self.calendars = CalendarsResource(self)
        self.resources = ResourcesResource(self)
        self.appointment_types = AppointmentTypesResource(self)
        self.resource_slots = ResourceSlotsResource(self)
        self.resource_slot_blockers = ResourceSlotBlockersResource(self)
        self.resource_calendar_mappings = ResourceCalendarMappingsResource(self)
        self.appointment_type_resource_mappings = AppointmentTypeResourceMappingsResource(self)
        self.tables = TablesResource(self)
        self.leads = LeadsResource(self)

    @property
    def timeout(self) -> float:
        """The default budget in seconds of a whole call, retries included (validated when
        set: a positive finite number)."""
        return self._timeout

    @timeout.setter
    def timeout(self, value: float) -> None:
        self._timeout = check_timeout(value)

    @property
    def retry(self) -> RetryPolicy:
        """The default :class:`RetryPolicy` (validated when set)."""
        return self._retry

    @retry.setter
    def retry(self, value: RetryPolicy) -> None:
        self._retry = check_retry(value)

    @property
    def base_url(self) -> str:
        """The API root every path is appended to."""
        return self._transport.base_url

    def with_options(
        self,
        *,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        base_url: str | None = None,
        token: str | None = None,
        default_headers: Mapping[str, str] | None = None,
    ) -> RocketLeadClient:
        """A copy of this client with other defaults, validated like the constructor's.

        Every copy shares this client's connection pool (its session), which this client owns:
        close the original last. Changing only ``timeout``/``retry`` shares everything else too
        (seat claims, hooks in flight); closing such a copy does nothing. A different
        ``base_url``, ``token`` or ``default_headers`` is another endpoint or identity: that
        copy has seat claims of its own, and closing it waits for its own calls and hooks but
        leaves the shared pool open. Hooks, limits and ``clock``/``sleep`` are carried over.
        """
        options = dict(self._options)
        if base_url is not None:
            options["base_url"] = base_url
        if token is not None:
            options["token"] = token
        if default_headers is not None:
            options["default_headers"] = default_headers
        return RocketLeadClient(
            timeout=self.timeout if timeout is None else timeout,
            retry=self.retry if retry is None else retry,
            _parent=self,
            **options,
        )

    async def aclose(self) -> None:
        """Refuse new calls, wait for the calls in flight and every outcome hook (also those
        started meanwhile) and the seat-claim writes under way (never the Redis client of a
        ``RedisSeatClaims``), then close the session the client created (a user-supplied one
        is left open)."""
        if self._owner:
            await self.seat_claims.flush()
            await self._transport.aclose()

    async def __aenter__(self) -> RocketLeadClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        if not hasattr(self, "_transport"):  # __init__ raised: a traceback's locals show this
            return "RocketLeadClient(<not configured>)"
        return f"RocketLeadClient(base_url={self.base_url!r}, timeout={self.timeout:g})"
