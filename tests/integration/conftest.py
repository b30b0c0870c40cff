"""Fixtures of the integration suite: the shipped ``fake_rocketlead`` fixture and SDK clients.

The fixture comes from the shipped plugin, which ``tests/conftest.py`` enables the documented
way (``pytest_plugins``); ``test_plugin.py`` proves that usage in a project of its own too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.helpers.clients import MakeClient, closing_clients

import rocketlead_async as rl
from rocketlead_async.testing import DemoOrg, FakeRocketLead

from ._support import Sleeps


@pytest.fixture
def fake(fake_rocketlead: FakeRocketLead) -> FakeRocketLead:
    return fake_rocketlead


@pytest.fixture
def demo(fake: FakeRocketLead) -> DemoOrg:
    return fake.demo


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def unknowns() -> list[rl.OutcomeUnknownError]:
    """Every error the clients' ``on_outcome_unknown`` hook received."""
    return []


@pytest.fixture
async def make_client(
    fake: FakeRocketLead, sleeps: Sleeps, unknowns: list[rl.OutcomeUnknownError]
) -> AsyncIterator[MakeClient]:
    """Clients of the fake: ``make_client("read")`` picks a seeded token by scope (any other
    string is used as the token). Backoff starts at 0 and every wait goes to ``sleeps``; the
    hook appends to ``unknowns``. All are closed when the test ends."""
    scopes = {"read": fake.tokens.read, "write": fake.tokens.write, "admin": fake.tokens.admin}
    async with closing_clients(
        lambda name: scopes.get(name or "admin", name or ""),
        base_url=fake.url,
        retry=rl.RetryPolicy(initial_backoff=0),
        sleep=sleeps,
        on_outcome_unknown=unknowns.append,
    ) as make:
        yield make


@pytest.fixture
def client(make_client: MakeClient) -> rl.RocketLeadClient:
    """An admin-scoped client."""
    return make_client()
