"""Fixtures for the FakeRocketLead suite: a running fake, a settable clock, a raw client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest

from rocketlead_async.testing import FakeRocketLead

from .fake_support import Clock, Wire


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def fake(clock: Clock) -> AsyncIterator[FakeRocketLead]:
    async with FakeRocketLead.running(seed=0, now=clock) as running:
        yield running


@pytest.fixture
async def wire(fake: FakeRocketLead) -> AsyncIterator[Wire]:
    async with aiohttp.ClientSession() as session:
        # aiohttp >= 3.10 silently repeats an idempotent request once when the server drops
        # the connection; switch that off so every drop is seen and counts stay exact.
        session._retry_connection = False
        yield Wire(session, fake)
