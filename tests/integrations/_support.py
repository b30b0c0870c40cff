"""Framework-free helpers of the voice-adapter suites: a gate that holds booking POSTs at the
fake, and the demo landmarks the scripted conversations use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from aiohttp import web
from aiohttp.typedefs import Handler

from rocketlead_async.desk import BookingDesk
from rocketlead_async.integrations._common import parse_window
from rocketlead_async.testing import FakeRocketLead

BERLIN = ZoneInfo("Europe/Berlin")
BOOKINGS = "POST /connect/calendar_bookings/"
# Wed 24 March 2027 around the popular hour; Ben is free 09:00-18:00 (see DemoOrg).
WINDOW = ("2027-03-24T14:00", "2027-03-24T17:00")
FIRST_OFFER = "Wednesday 24 March at 14:00"
BOOKED_FIRST = f"You're booked for {FIRST_OFFER}."


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=BERLIN)


async def offered(desk: BookingDesk) -> None:
    """The caller has heard the offers (S1 = 14:00), as after a check_availability turn."""
    offers = await desk.offer(*parse_window(*WINDOW, desk.zone))
    assert offers[0].spoken == FIRST_OFFER


class PostGate:
    """Holds every booking POST at the fake while closed; ``arrived`` is set by the first one.

    Install before the fake starts (``gate.install(fake)``); a held POST is on the wire, so the
    client cannot take it back: what a caller's barge-in meets in real life.
    """

    def __init__(self) -> None:
        self.arrived = asyncio.Event()
        self.held = 0
        self._open = asyncio.Event()
        self._open.set()

    def install(self, fake: FakeRocketLead) -> None:
        fake.app.middlewares.append(self._middleware)

    def close(self) -> None:
        self._open.clear()

    def open(self) -> None:
        self._open.set()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.method == "POST" and request.path == "/connect/calendar_bookings/":
            self.arrived.set()
            self.held += 1
            await self._open.wait()
        return await handler(request)


def bookings_of(fake: FakeRocketLead, name: str) -> list[str]:
    """Ids of the bookings the fake holds under ``name``."""
    return [b.id for b in fake.state.bookings.values() if b.name == name]


LIMIT = 10.0
"""Seconds any one step of a conversation may take before the test fails instead of hanging."""


async def until(condition: Callable[[], bool], *, limit: float = LIMIT) -> None:
    """Wait (yielding to the loop) until ``condition()`` holds; fail after ``limit`` seconds."""

    async def poll() -> None:
        # The frameworks' state (history, context) changes in many places and has no one event.
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.005)

    await asyncio.wait_for(poll(), limit)
