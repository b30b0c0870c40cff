"""Fixtures of the voice-adapter suites: a fake with a POST gate, a client and a caller's desk.

Framework-free: the plain suite loads it too; each framework's package conftest skips (or,
with RL_REQUIRE_FRAMEWORK, fails) when its framework is missing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

import rocketlead_async as rl
from rocketlead_async.desk import BookingDesk, DeskResult
from rocketlead_async.testing import FakeRocketLead

from ._support import PostGate


@pytest.fixture
def gate() -> PostGate:
    return PostGate()


@pytest.fixture
async def fake(gate: PostGate) -> AsyncIterator[FakeRocketLead]:
    made = FakeRocketLead(seed=0)
    gate.install(made)
    await made.start()
    try:
        yield made
    finally:
        gate.open()
        await made.stop()


@pytest.fixture
async def client(fake: FakeRocketLead) -> AsyncIterator[rl.RocketLeadClient]:
    async with rl.RocketLeadClient(fake.tokens.write, base_url=fake.url) as made:
        yield made


@pytest.fixture
async def calendar(client: rl.RocketLeadClient, fake: FakeRocketLead) -> rl.Calendar:
    return await client.calendars.get(fake.demo.mitte_calendar_id)


@pytest.fixture
def outcomes() -> list[DeskResult]:
    """Every result the desk's ``on_outcome`` hook heard."""
    return []


@pytest.fixture
def make_desk(
    client: rl.RocketLeadClient,
    calendar: rl.Calendar,
    fake: FakeRocketLead,
    outcomes: list[DeskResult],
) -> Callable[..., BookingDesk]:
    """``make_desk(budget=...)``: a desk for one caller of the demo's Personal Training."""

    def make(budget: float = 8.0) -> BookingDesk:
        return BookingDesk(
            client,
            calendar=calendar,
            appointment_type_id=fake.demo.personal_training_type_id,
            budget=budget,
            on_outcome=outcomes.append,
        )

    return make


@pytest.fixture
def desk(make_desk: Callable[..., BookingDesk]) -> BookingDesk:
    return make_desk()


@pytest.fixture
async def example_desk(
    client: rl.RocketLeadClient, fake: FakeRocketLead, monkeypatch: pytest.MonkeyPatch
) -> Callable[[object], Awaitable[BookingDesk]]:
    """``await example_desk(module)``: the desk an example opens, configured the way its
    docstring tells a user (environment variables), for the demo's Personal Training."""
    monkeypatch.setenv("ROCKETLEAD_CALENDAR_ID", fake.demo.mitte_calendar_id)
    monkeypatch.setenv("ROCKETLEAD_APPOINTMENT_TYPE_ID", fake.demo.personal_training_type_id)

    async def open_desk(example: object) -> BookingDesk:
        desk = await example.open_desk(client)  # type: ignore[attr-defined]
        assert isinstance(desk, BookingDesk)
        return desk

    return open_desk
