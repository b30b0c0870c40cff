"""Pytest fixture ``fake_rocketlead``: a running ``FakeRocketLead`` (seed 0) per test.

Enable with ``pytest_plugins = ["rocketlead_async.testing.pytest_plugin"]``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest_asyncio

from . import FakeRocketLead


@pytest_asyncio.fixture
async def fake_rocketlead() -> AsyncIterator[FakeRocketLead]:
    """A fake served on an ephemeral loopback port, shut down after the test."""
    async with FakeRocketLead.running(seed=0) as fake:
        yield fake
