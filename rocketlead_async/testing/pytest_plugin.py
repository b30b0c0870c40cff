"""The pytest plugin of rocketlead-async: fixtures for testing code that uses the SDK.

Installed with ``pip install 'rocketlead-async[testing]'`` it registers itself (the ``pytest11``
entry point); no ``conftest.py`` line and no ``asyncio_mode`` setting are needed. The fixtures
are ``pytest_asyncio`` fixtures, so they work in pytest-asyncio's default strict mode with
``@pytest.mark.asyncio`` tests, and in ``asyncio_mode = "auto"`` alike:

- ``fake_rocketlead``: a running ``FakeRocketLead`` (seed 0) on a loopback port, per test.
- ``rocketlead_client``: a ``RocketLeadClient`` talking to it with the admin token, without
  backoff waits, closed after the test.
- ``fake_rocketlead_factory``: ``await make(seed=..., now=..., latency=...)`` for more fakes,
  or ones with a :class:`ManualClock` (``now=``) or an added answer delay (``latency=``).
- ``manual_clock``: a :class:`ManualClock` to pass as ``now=``.

Projects that list ``pytest_plugins = ["rocketlead_async.testing.pytest_plugin"]`` keep
working: pytest loads the plugin once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import datetime

import pytest
import pytest_asyncio

from .. import RetryPolicy, RocketLeadClient
from . import FakeRocketLead
from ._clock import ManualClock

__all__ = ["FakeFactory"]

FakeFactory = Callable[..., Awaitable[FakeRocketLead]]
"""``await make(seed=0, *, now=None, latency=0.0)``: a running fake, stopped after the test."""


@pytest_asyncio.fixture
async def fake_rocketlead_factory() -> AsyncIterator[FakeFactory]:
    """Start fakes on demand; every one is shut down after the test."""
    async with AsyncExitStack() as stack:

        async def make(
            seed: int = 0, *, now: Callable[[], datetime] | None = None, latency: float = 0.0
        ) -> FakeRocketLead:
            return await stack.enter_async_context(
                FakeRocketLead.running(seed=seed, now=now, latency=latency)
            )

        yield make


@pytest_asyncio.fixture
async def fake_rocketlead(fake_rocketlead_factory: FakeFactory) -> FakeRocketLead:
    """A fake served on an ephemeral loopback port, shut down after the test."""
    return await fake_rocketlead_factory(seed=0)


@pytest_asyncio.fixture
async def rocketlead_client(fake_rocketlead: FakeRocketLead) -> AsyncIterator[RocketLeadClient]:
    """A client of ``fake_rocketlead`` (admin token: it may book and delete); retries do not
    wait, so fault-injection tests stay fast."""
    retry = RetryPolicy(initial_backoff=0, max_backoff=0, retry_after_cap=0)
    async with RocketLeadClient(
        fake_rocketlead.tokens.admin, base_url=fake_rocketlead.url, retry=retry
    ) as client:
        yield client


@pytest.fixture
def manual_clock() -> ManualClock:
    """A wall clock that moves only when the test moves it (``FakeRocketLead(now=...)``)."""
    return ManualClock()
