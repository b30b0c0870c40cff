"""Fixtures of the reliability suite: a running fake per test and clients that never sleep.

Every client made through ``make_client`` is closed at the end of the test, and the test fails if
closing them (or anything else in it) leaves an unclosed session or connector behind: pyproject
turns ResourceWarning and unraisable exceptions into errors, and the suite checks that this
really catches a leak (test_resources.py).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import pytest
from tests.helpers.clients import MakeClient as MakeClient  # re-exported: the suite's tests import it from here
from tests.helpers.clients import closing_clients

import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead

from ._support import WATCHED_LOGGERS, Hook, Sleeps


@pytest.fixture
async def fake() -> AsyncIterator[FakeRocketLead]:
    """A fake on a loopback port. At the end, answers it still holds for clients that left
    (latency faults) are dropped, so stopping it does not wait them out."""
    async with FakeRocketLead.running(seed=0) as running:
        yield running
        for task in asyncio.all_tasks():
            if task.get_coro().__qualname__ == "RequestHandler._handle_request":  # type: ignore[union-attr]
                task.cancel()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def hook() -> Hook:
    return Hook()


@pytest.fixture
async def make_client(
    fake: FakeRocketLead, sleeps: Sleeps, hook: Hook
) -> AsyncIterator[MakeClient]:
    """Admin clients of the fake; backoff waits go to ``sleeps`` (never slept), unknown
    outcomes to ``hook``. All are closed when the test ends."""
    async with closing_clients(
        lambda name: name or fake.tokens.admin,
        base_url=fake.url,
        sleep=sleeps,
        on_outcome_unknown=hook,
    ) as make:
        yield make


@pytest.fixture
def client(make_client: MakeClient) -> rl.RocketLeadClient:
    return make_client()


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """caplog at DEBUG for the SDK's, aiohttp's and asyncio's loggers."""
    for name in WATCHED_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog
