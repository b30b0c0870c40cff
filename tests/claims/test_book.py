"""book() with claims shared through Redis: callers on clients of their own (one process per
phone call) spread over distinct seats, and a Redis that dies mid-run loses nobody."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta

import attrs
import pytest
import redis.asyncio as aioredis
from tests.recovery._support import ANNA, BOOKINGS, POPULAR, trainer_request

import rocketlead_async as rl
from rocketlead_async.claims import RedisSeatClaims
from rocketlead_async.testing import FakeRocketLead
from rocketlead_async.testing._redis import RedisServer

CALLERS = 20
SEATS = 6  # per Mitte trainer: Anna's popular hour is filled, the window has room for all


@pytest.fixture
async def fake() -> AsyncIterator[FakeRocketLead]:
    async with FakeRocketLead.running(seed=0) as running:
        demo, state = running.demo, running.state
        for trainer in demo.mitte_trainer_ids:
            state.resources[trainer] = attrs.evolve(
                state.resources[trainer], max_parallel_bookings=SEATS
            )
        running.fill_slot(demo.mitte_trainer_ids[ANNA], POPULAR, POPULAR + timedelta(hours=1))
        yield running


async def race(
    fake: FakeRocketLead, claims: list[rl.SeatClaimsProtocol], policy: rl.SlotRecovery
) -> list[rl.BookingOutcome | BaseException]:
    """Every caller on a client of its own, with claims ``claims[i]``, all at once."""
    requests = [trainer_request(fake.demo, ANNA, name=f"caller-{i}") for i in range(CALLERS)]
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                rl.RocketLeadClient(fake.tokens.write, base_url=fake.url, seat_claims=mine)
            )
            for mine in claims
        ]
        return await asyncio.gather(
            *(
                client.bookings.book(request, recovery=policy, timeout=10)
                for client, request in zip(clients, requests, strict=True)
            ),
            return_exceptions=True,
        )


def audit(fake: FakeRocketLead) -> None:
    assert fake.overbooked() == {}
    names = Counter(b.name for b in fake.state.bookings.values() if b.name)
    assert max(n for name, n in names.items() if name.startswith("caller-")) == 1


async def test_callers_in_separate_processes_land_on_distinct_seats(
    fake: FakeRocketLead, redis_client: aioredis.Redis, namespace: str
) -> None:
    """Each caller has its own client and its own claims, as in one process per call: only
    Redis connects them. They all lose the filled hour, and each books with two POSTs.
    (With in-memory claims they herd onto the same nearest slot and most lose again.)"""
    await asyncio.gather(*(redis_client.ping() for _ in range(CALLERS)))  # a warm pool
    claims = [
        RedisSeatClaims(redis_client, namespace=namespace, call_timeout=2.0) for _ in range(CALLERS)
    ]

    outcomes = await race(fake, list(claims), rl.SlotRecovery())
    for claim in claims:
        await claim.flush()

    assert all(isinstance(o, rl.BookingOutcome) and o.recovered for o in outcomes), outcomes
    assert [len(o.attempts) for o in outcomes] == [2] * CALLERS  # type: ignore[union-attr]
    assert fake.request_count(BOOKINGS) == 2 * CALLERS
    assert [c.fallbacks for c in claims] == [0] * CALLERS
    audit(fake)
    # Nothing is left charging in Redis: every claim was released or marked booked.
    _, charging, _, _ = claims[0].keys(fake.demo.mitte_calendar_id)
    assert await redis_client.hgetall(charging) == {}


async def test_redis_dying_mid_run_leaves_every_caller_booked_or_with_alternatives(
    fake: FakeRocketLead, own_redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = aioredis.Redis.from_url(own_redis_server.url)
    try:
        await asyncio.gather(*(client.ping() for _ in range(CALLERS)))
        shared = RedisSeatClaims(client)  # one process's claims, shared by its callers' clients

        def kill_redis(event: rl.RecoveryEvent) -> None:
            if event.kind is rl.RecoveryEventKind.SLOT_TAKEN and own_redis_server.running:
                own_redis_server.stop()  # the first lost race: Redis goes away

        policy = rl.SlotRecovery(on_event=kill_redis)
        results = await race(fake, [shared] * CALLERS, policy)
        await shared.flush()
    finally:
        await client.aclose()

    for result in results:
        if isinstance(result, rl.SlotRecoveryExhausted):
            assert result.alternatives, result
        else:
            assert isinstance(result, rl.BookingOutcome), result
    assert sum(isinstance(r, rl.BookingOutcome) for r in results) >= CALLERS // 2
    assert shared.fallbacks >= 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    audit(fake)
