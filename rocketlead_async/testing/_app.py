"""``FakeRocketLead``: the in-memory Connect API server and its inspection/injection handles."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime

from aiohttp import web

from ._api import Api
from ._auth import FakeTokens, Scope, TokenRegistry
from ._availability import peak_occupancy
from ._bookings import Bookings
from ._errors import envelope_middleware
from ._events import EventLog, FlowEvent
from ._faults import Faults
from ._injection import InFlight, RecordedRequest, injection_middleware
from ._leads import Leads
from ._records import Booking
from ._seed import DemoOrg, seed_demo
from ._state import Store
from ._time import utc_now


def _route_keys(app: web.Application) -> set[str]:
    """``"METHOD /pattern"`` for every registered route (HEAD twins of GETs included)."""
    return {
        f"{route.method} {route.resource.canonical}"
        for route in app.router.routes()
        if route.resource is not None
    }


class FakeRocketLead:
    """An in-memory RocketLead Connect API with the demo organization seeded.

    Serve it with ``async with FakeRocketLead.running() as fake`` (then use ``fake.url`` and
    ``fake.tokens``), or hand ``fake.app`` to aiohttp's test utilities. Everything it does is
    deterministic for a given ``seed`` and request sequence.

    Handles: ``demo`` (seeded ids), ``tokens`` (read/write/admin), ``state`` (the store, for
    assertions), ``faults`` (fault plans), ``events`` (flow events), ``requests`` (what came
    in), ``latency`` (seconds added to every answer, settable).
    """

    def __init__(
        self,
        seed: int = 0,
        *,
        now: Callable[[], datetime] | None = None,
        latency: float = 0.0,
    ) -> None:
        self.seed = seed
        #: Seconds added before every answer (benchmarks).
        self.latency = latency
        self._now = now or utc_now
        self.state = Store(seed)
        self.demo: DemoOrg = seed_demo(self.state)
        self._tokens = TokenRegistry(seed)
        self.tokens = FakeTokens(
            read=self.issue_token("read"),
            write=self.issue_token("write"),
            admin=self.issue_token("admin"),
        )
        self._events = EventLog(self._now)
        self._bookings = Bookings(self.state, self._events, self._now)
        #: Every request received, in order, as ``(method, route pattern)``.
        self.requests: list[RecordedRequest] = []
        #: Requests in flight and open connections right now, and their peaks.
        self.in_flight = InFlight()
        self.app = web.Application()
        leads = Leads(self.state, self._events, self._now)
        self.app.router.add_routes(Api(self.state, self._tokens, self._bookings, leads).routes())
        self.faults = Faults(_route_keys(self.app))
        # Outermost first: faults act on the finished answer (error envelopes included), and
        # auth runs inside the envelope middleware so that its 401/403 become JSON too.
        self.app.middlewares.extend(
            [
                injection_middleware(
                    self.faults, self.requests, lambda: self.latency, self.in_flight
                ),
                envelope_middleware,
                self._tokens.middleware(),
            ]
        )
        self._runner: web.AppRunner | None = None
        self._url: str | None = None

    # -- serving ---------------------------------------------------------------------------

    @classmethod
    @asynccontextmanager
    async def running(
        cls,
        seed: int = 0,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        now: Callable[[], datetime] | None = None,
    ) -> AsyncIterator[FakeRocketLead]:
        """Serve a new fake on ``host:port`` (0 = ephemeral) for the block, then shut it down."""
        fake = cls(seed, now=now, latency=latency)
        await fake.start(host, port)
        try:
            yield fake
        finally:
            await fake.stop()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Start serving and return the base URL."""
        if self._runner is not None:
            raise RuntimeError("FakeRocketLead is already running")
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_port = runner.addresses[0][1]
        # Bound to every interface, the fake is reached on loopback from this machine:
        # 0.0.0.0 is an address to listen on, not one to connect to.
        reach = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}.get(host, host)
        shown = f"[{reach}]" if ":" in reach else reach
        self._url = f"http://{shown}:{bound_port}"
        return self._url

    async def stop(self) -> None:
        """Stop serving; open connections are closed."""
        runner, self._runner, self._url = self._runner, None, None
        if runner is not None:
            await runner.cleanup()

    async def serve_forever(self, host: str = "127.0.0.1", port: int = 8080) -> None:
        """Serve until cancelled (for a CLI); prints nothing, ``url`` tells where."""
        await self.start(host, port)
        try:
            await asyncio.get_running_loop().create_future()
        finally:
            await self.stop()

    @property
    def url(self) -> str:
        """Base URL such as ``http://127.0.0.1:54321``, while running (a loopback address
        when serving on every interface)."""
        if self._url is None:
            raise RuntimeError("FakeRocketLead is not running; use FakeRocketLead.running()")
        return self._url

    # -- tokens ----------------------------------------------------------------------------

    def issue_token(self, scope: Scope, *, organization_id: str | None = None) -> str:
        """A new token for ``scope`` in the demo organization (or the one given)."""
        return self._tokens.issue(scope, organization_id or self.demo.organization_id)

    def revoke(self, token: str) -> None:
        """Revoke ``token``: its next request gets 401."""
        self._tokens.revoke(token)

    # -- inspection ------------------------------------------------------------------------

    @property
    def events(self) -> list[FlowEvent]:
        """Flow events so far; pending ones whose time has come (by ``now``) read as fired."""
        return self._events.all()

    def events_named(self, name: str) -> list[FlowEvent]:
        """Flow events with that name, e.g. ``"calendar.appointment.booked"``."""
        return [event for event in self._events.all() if event.name == name]

    def request_count(self, route: str = "*") -> int:
        """Requests received for a fault-plan style key (``"GET /connect/calendar/"``) or all."""
        return sum(1 for r in self.requests if route in ("*", r.key))

    # -- race injection --------------------------------------------------------------------

    def race_next_bookings(self, n: int = 1) -> None:
        """Let "another caller" take the slot of each of the next ``n`` booking POSTs that
        would otherwise succeed, right before the capacity recheck (they then get 400)."""
        if n < 0:
            raise ValueError("n must not be negative")
        self._bookings.races_pending += n

    @property
    def races_pending(self) -> int:
        """Injected races not yet consumed."""
        return self._bookings.races_pending

    def overbooked(self) -> dict[str, int]:
        """The capacity invariant, checked: resource id -> seats over its capacity at its
        worst instant, for every resource that ever holds too many bookings (empty: it holds)."""
        by_resource: dict[str, list[Booking]] = defaultdict(list)
        for booking in self.state.bookings.values():
            by_resource[booking.resource_id].append(booking)
        over = {
            resource_id: peak_occupancy(bookings)
            - self.state.resources[resource_id].max_parallel_bookings
            for resource_id, bookings in by_resource.items()
        }
        return {resource_id: seats for resource_id, seats in over.items() if seats > 0}

    def fill_slot(
        self, resource_id: str, start: datetime, end: datetime, *, name: str = "Walk-in"
    ) -> list[str]:
        """Book [start, end) of the resource up to capacity; returns the new booking ids."""
        return [b.id for b in self._bookings.fill(resource_id, start, end, name)]
