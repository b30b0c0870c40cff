"""RocketLeadClient: configuration, session lifecycle and the resource namespaces."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Awaitable, Callable
from types import TracebackType

import aiohttp
from yarl import URL

from ._outcomes import OutcomeReporter, OutcomeUnknownHook
from ._retry import RetryPolicy, check_retry
from ._secret import RedactedStr, check_token, scrub
from ._transport import Transport
from ._validate import check_int, check_timeout
from .recovery import SeatClaims
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


def _is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_base_url(base_url: str) -> str:
    """``base_url`` normalised; https is required except for loopback hosts (test servers)."""
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
    if url.scheme != "https" and not (url.scheme == "http" and _is_loopback(url.host)):
        raise ValueError(
            f"base_url {base_url!r} must use https (plain http is allowed only for loopback "
            "hosts such as a local FakeRocketLead): the token would travel in clear text"
        )
    return str(url).rstrip("/")


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
    - ``timeout``: default budget in seconds for a whole call, retries included.
    - ``retry``: default :class:`RetryPolicy`.
    - ``on_outcome_unknown``: called (sync or async) exactly once with each
      :class:`OutcomeUnknownError`, also when the calling task was cancelled after the POST was
      sent, so an application can reconcile a booking that may exist. An async hook runs as a
      task of its own (the call raises at once, its budget untouched); :meth:`aclose` waits
      for it. Its errors are logged.
    - ``max_connections``: connection-pool bound of the SDK's session.
    - ``max_response_bytes``: larger answers are refused unread.
    - ``clock``/``sleep``: monotonic clock and sleep, injectable for tests.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
        on_outcome_unknown: OutcomeUnknownHook | None = None,
        max_connections: int = 100,
        max_response_bytes: int = 8 * 1024 * 1024,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        if isinstance(token, str):
            token = RedactedStr(token)  # if a check below raises, traceback locals show '***'
        secret = check_token(os.environ.get(TOKEN_ENV, "") if token is None else token)
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise TypeError("session must be an aiohttp.ClientSession")
        try:
            url = check_base_url(base_url)
        except (TypeError, ValueError) as exc:
            # The message quotes base_url, which may be the token pasted in the wrong place.
            raise type(exc)(scrub(str(exc), secret)) from None
        transport = Transport(
            base_url=url,
            token=secret,
            session=session,
            max_connections=check_int(max_connections, "max_connections"),
            max_response_bytes=check_int(max_response_bytes, "max_response_bytes"),
            reporter=OutcomeReporter(on_outcome_unknown),
            clock=clock,
            sleep=sleep,
        )
        policy = RetryPolicy() if retry is None else check_retry(retry)
        self._setup(transport, check_timeout(timeout), policy, SeatClaims(), owner=True)

    def _setup(
        self,
        transport: Transport,
        timeout: float,
        retry: RetryPolicy,
        seat_claims: SeatClaims,
        owner: bool,
    ) -> None:
        self._transport = transport
        self._seat_claims = seat_claims
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
        """The default budget in seconds of a whole call, retries included."""
        return self._timeout

    @timeout.setter
    def timeout(self, value: float) -> None:
        self._timeout = check_timeout(value)

    @property
    def retry(self) -> RetryPolicy:
        """The default :class:`RetryPolicy`."""
        return self._retry

    @retry.setter
    def retry(self, value: RetryPolicy) -> None:
        self._retry = check_retry(value)

    @property
    def base_url(self) -> str:
        """The API root every path is appended to."""
        return self._transport.base_url

    def with_options(
        self, *, timeout: float | None = None, retry: RetryPolicy | None = None
    ) -> RocketLeadClient:
        """A client with other defaults that shares this one's session and hooks. Closing the
        derived client does nothing; the original owns the session."""
        derived = object.__new__(RocketLeadClient)
        derived._setup(
            self._transport,
            self.timeout if timeout is None else check_timeout(timeout),
            self.retry if retry is None else check_retry(retry),
            self._seat_claims,
            owner=False,
        )
        return derived

    async def aclose(self) -> None:
        """Refuse new calls, wait for the calls in flight and every outcome hook (also those
        started meanwhile), then close the session the client created (a user-supplied one is
        left open)."""
        if self._owner:
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
