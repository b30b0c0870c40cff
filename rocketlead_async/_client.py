"""RocketLeadClient: configuration, session lifecycle and the resource namespaces."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Awaitable, Callable
from types import TracebackType

import aiohttp
from yarl import URL

from ._retry import RetryPolicy
from ._seats import SeatClaims, SeatClaimsProtocol
from ._secret import RedactedStr, check_token
from ._transport import OutcomeUnknownHook, Transport
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
from .resources._base import check_retry, check_timeout

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

    - ``token``: ``rocketlead_...``; default: the ``ROCKETLEAD_API_TOKEN`` environment variable.
    - ``timeout``: default budget in seconds for a whole call, retries included.
    - ``retry``: default :class:`RetryPolicy`.
    - ``on_outcome_unknown``: called (sync or async) exactly once with each
      :class:`OutcomeUnknownError`, also when the calling task was cancelled after the POST was
      sent, so an application can reconcile a booking that may exist.
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
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        retry: RetryPolicy | None = None,
        session: aiohttp.ClientSession | None = None,
        on_outcome_unknown: OutcomeUnknownHook | None = None,
        max_connections: int = 100,
        max_response_bytes: int = 8 * 1024 * 1024,
        seat_claims: SeatClaimsProtocol | None = None,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
    ) -> None:
        if isinstance(token, str):
            token = RedactedStr(token)  # if a check below raises, traceback locals show '***'
        secret = check_token(os.environ.get(TOKEN_ENV, "") if token is None else token)
        if session is not None and not isinstance(session, aiohttp.ClientSession):
            raise TypeError("session must be an aiohttp.ClientSession")
        if seat_claims is not None and not isinstance(seat_claims, SeatClaimsProtocol):
            raise TypeError(
                "seat_claims must be a SeatClaims, a RedisSeatClaims or another "
                f"SeatClaimsProtocol, not {type(seat_claims).__name__}"
            )
        for name, value in (
            ("max_connections", max_connections),
            ("max_response_bytes", max_response_bytes),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, not {value!r}")
        transport = Transport(
            base_url=check_base_url(base_url),
            token=secret,
            session=session,
            max_connections=max_connections,
            max_response_bytes=max_response_bytes,
            on_outcome_unknown=on_outcome_unknown,
            clock=clock,
            sleep=sleep,
        )
        policy = RetryPolicy() if retry is None else check_retry(retry)
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
        self.timeout = timeout
        self.retry = retry
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
            self.seat_claims,
            owner=False,
        )
        return derived

    async def aclose(self) -> None:
        """Close the session the client created (a user-supplied one is left open), after the
        seat-claim writes under way (never the Redis client of a ``RedisSeatClaims``)."""
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
