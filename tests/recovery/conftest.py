"""Fixtures of the recovery suite: a FakeRocketLead and a write-scoped client on a fake clock."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

import rocketlead_async as rl
from rocketlead_async.testing import DemoOrg, FakeRocketLead

from ._support import Clock, Events


@pytest.fixture
async def fake() -> AsyncIterator[FakeRocketLead]:
    async with FakeRocketLead.running(seed=0) as running:
        yield running


@pytest.fixture
def demo(fake: FakeRocketLead) -> DemoOrg:
    return fake.demo


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def unknowns() -> list[rl.OutcomeUnknownError]:
    """Every error the client's ``on_outcome_unknown`` hook received."""
    return []


@pytest.fixture
async def client(
    fake: FakeRocketLead, clock: Clock, unknowns: list[rl.OutcomeUnknownError]
) -> AsyncIterator[rl.RocketLeadClient]:
    """A client whose time moves only when it sleeps (backoff) or a test advances ``clock``."""
    async with rl.RocketLeadClient(
        fake.tokens.write,
        base_url=fake.url,
        clock=clock,
        sleep=clock.sleep,
        on_outcome_unknown=unknowns.append,
    ) as made:
        yield made


@pytest.fixture
def events() -> Events:
    return Events()
