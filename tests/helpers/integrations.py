"""Framework-free helpers of the voice-adapter suites: which framework a suite needs, a gate that
holds booking POSTs at the fake, the conversation's landmarks, and the examples as modules."""

from __future__ import annotations

import asyncio
import importlib.util
import os
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from aiohttp import web
from aiohttp.typedefs import Handler

from rocketlead_async.desk import BookingDesk
from rocketlead_async.integrations._common import parse_window
from rocketlead_async.testing import FakeRocketLead

# Wed 24 March 2027 around the popular hour; Ben is free 09:00-18:00 (see tests.helpers.demo).
WINDOW = ("2027-03-24T14:00", "2027-03-24T17:00")
FIRST_OFFER = "Wednesday 24 March at 14:00"
BOOKED_FIRST = f"You're booked for {FIRST_OFFER}."
TAKEN = "That time was just taken. Let me find another one."

LIMIT = 10.0
"""Seconds any one step of a conversation may take before the test fails instead of hanging."""

MakeDesk = Callable[..., BookingDesk]
"""``make_voice_desk(budget=8.0)``: a desk for one caller (the fixture)."""

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"

FRAMEWORKS = {"livekit": "livekit.agents", "pipecat": "pipecat"}
"""Each framework suite (``tests/integrations/<key>``, the extra of the same name) and the
module it needs."""


def missing_framework(key: str) -> str | None:
    """Why the suite ``key`` cannot run here (its framework is not installed), or None.

    Where ``RL_REQUIRE_FRAMEWORK`` names the suite (CI's framework venvs, comma-separated), a
    missing framework is no reason to skip: the suite is collected, and its imports fail."""
    required = {name.strip() for name in os.environ.get("RL_REQUIRE_FRAMEWORK", "").split(",")}
    if key in required:
        return None
    module = FRAMEWORKS[key]
    try:
        found = importlib.util.find_spec(module) is not None
    except ImportError:  # its parent package is missing too
        found = False
    return None if found else f"{module} is not installed (pip install 'rocketlead-async[{key}]')"


def load_example(name: str) -> ModuleType:
    """``examples/<name>.py`` as a module, the way a user who copied it would run it."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
            await self._open.wait()
        return await handler(request)
