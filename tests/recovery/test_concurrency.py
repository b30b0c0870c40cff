"""Many callers chase the popular hour at once: capacity holds, nobody is booked twice, and
seat claims (in-process, or shared through Redis by one process per phone call) spread those
who lose a race over distinct seats; a Redis that dies mid-run loses nobody."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections import Counter
from datetime import timedelta

import attrs
import pytest
import redis.asyncio as aioredis

import rocketlead_async as rl
from rocketlead_async.claims import RedisSeatClaims
from rocketlead_async.testing import FakeRocketLead
from rocketlead_async.testing._redis import RedisServer
from tests.helpers.clients import MakeClient
from tests.helpers.demo import ANNA, BEN, BOOKINGS, POPULAR, trainer_request

CALLERS = 50
HERD = 20  # callers who all lose Anna's filled popular hour
WINDOW = timedelta(hours=3)


def set_seats(fake: FakeRocketLead, count: int) -> None:
    """Give every Mitte trainer ``count`` parallel seats."""
    for trainer in fake.demo.mitte_trainer_ids:
        resource = fake.state.resources[trainer]
        fake.state.resources[trainer] = attrs.evolve(resource, max_parallel_bookings=count)


def herd(fake: FakeRocketLead) -> list[rl.BookingRequest]:
    """Six seats per trainer, Anna's popular hour filled, and ``HERD`` callers who want it:
    the window has room for every one of them."""
    set_seats(fake, 6)
    fake.fill_slot(fake.demo.mitte_trainer_ids[ANNA], POPULAR, POPULAR + timedelta(hours=1))
    return [trainer_request(fake.demo, trainer=ANNA, name=f"caller-{i}") for i in range(HERD)]


def audit(fake: FakeRocketLead) -> None:
    """Capacity holds, and no caller holds two bookings."""
    assert fake.overbooked() == {}
    names = Counter(b.name for b in fake.state.bookings.values() if b.name)
    assert max(n for name, n in names.items() if name.startswith("caller-")) == 1


# Seats per Mitte trainer. 6: 11 left at the popular hour, room for everyone in the ±3 h
# window. 1 (the demo as seeded): about 10 seats in the window, most callers must give up.
@pytest.mark.parametrize("seats", [6, 1], ids=["roomy_window", "tight_window"])
async def test_fifty_callers_never_overbook_and_never_double_book(
    make_wall_client: MakeClient, fake: FakeRocketLead, seats: int
) -> None:
    demo, state = fake.demo, fake.state
    trainers = demo.mitte_trainer_ids
    set_seats(fake, seats)
    rng = random.Random(2027)
    policy = rl.SlotRecovery(spread=3, rng=rng)
    requests = [
        trainer_request(demo, trainer=(ANNA, BEN)[i % 2], name=f"caller-{i}")
        for i in range(CALLERS)
    ]

    client = make_wall_client()
    results = await asyncio.gather(
        *(client.bookings.book(r, recovery=policy, timeout=10) for r in requests),
        return_exceptions=True,
    )
    availability = await client.availability.get(
        calendar_id=demo.mitte_calendar_id,
        appointment_type_id=demo.personal_training_type_id,
        start=POPULAR - WINDOW,
        end=POPULAR + timedelta(hours=1) + WINDOW,
    )
    window_full = not availability.bookable()

    booked = [r for r in results if isinstance(r, rl.BookingOutcome)]
    exhausted = [r for r in results if isinstance(r, rl.SlotRecoveryExhausted)]
    assert len(booked) + len(exhausted) == CALLERS, [
        r for r in results if not isinstance(r, (rl.BookingOutcome, rl.SlotRecoveryExhausted))
    ]
    posts = fake.request_count(BOOKINGS)
    print(f"\nbooked={len(booked)} exhausted={len(exhausted)} POSTs={posts}")

    # Capacity: at no instant does any resource (the trainers: ``seats``) hold more bookings
    # than its capacity.
    assert fake.overbooked() == {}
    at_popular = [
        b for b in state.bookings.values() if b.resource_id in trainers and b.start == POPULAR
    ]
    assert len(at_popular) <= 2 * seats  # Anna's seeded booking included

    # Nobody holds two bookings, and every outcome is the booking the fake holds.
    names = Counter(b.name for b in state.bookings.values() if (b.name or "").startswith("caller-"))
    assert max(names.values()) == 1
    assert sum(names.values()) == len(booked)
    for outcome in booked:
        stored = state.bookings[outcome.booking.id]
        assert stored.name == outcome.original_request.name
        assert len(outcome.attempts) <= policy.max_attempts
    assert posts == sum(len(r.attempts) for r in booked + exhausted)

    # Whoever gave up can be offered fresh alternatives, unless the window filled up.
    for gave_up in exhausted:
        # Sibling calls spread over distinct seats, so the window can fill before a caller's
        # attempts run out: then there is honestly no candidate left.
        assert gave_up.reason in ("max_attempts", "no_candidate")
        assert gave_up.reason == "max_attempts" or (window_full and not gave_up.alternatives)
        tried = {(a.request.resource_id, a.request.start) for a in gave_up.attempts}
        offered = {(s.resource_id, s.start) for s in gave_up.alternatives}
        assert tried.isdisjoint(offered)
        assert gave_up.alternatives or window_full
    # Recovery placed callers outside the popular hour (it has at most 2 * seats - 1 left).
    assert len(booked) >= 2 * seats
    if seats > 1:
        assert exhausted == [], "the window has room for every caller"


async def test_calls_sharing_a_client_spread_over_distinct_seats(
    make_wall_client: MakeClient, fake: FakeRocketLead
) -> None:
    """The in-process herd: 20 agents on one client lose the same race at once. With the
    default policy (no spread) their seat claims still send each to a different free seat, so
    every caller is booked with at most two POSTs."""
    requests = herd(fake)
    client = make_wall_client()
    outcomes = await asyncio.gather(*(client.bookings.book(r, timeout=10) for r in requests))
    claims = client.seat_claims
    assert isinstance(claims, rl.SeatClaims)
    assert claims.charging() == 0  # every claim given back

    assert all(outcome.recovered for outcome in outcomes)
    assert [len(outcome.attempts) for outcome in outcomes] == [2] * HERD
    booked = Counter((o.booking.resource_id, o.booking.start) for o in outcomes)
    assert max(booked.values()) <= 6
    assert fake.request_count(BOOKINGS) == 2 * HERD
    audit(fake)


# -- seat claims shared through Redis: one process (and client) per phone call -----------------


async def race(
    fake: FakeRocketLead, claims: list[rl.SeatClaimsProtocol], policy: rl.SlotRecovery
) -> list[rl.BookingOutcome | BaseException]:
    """Every caller on a client of its own, with claims ``claims[i]``, all at once."""
    requests = herd(fake)
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


async def test_callers_in_separate_processes_land_on_distinct_seats(
    fake: FakeRocketLead, redis_client: aioredis.Redis, namespace: str
) -> None:
    """Each caller has its own client and its own claims, as in one process per call: only
    Redis connects them. They all lose the filled hour, and each books with two POSTs.
    (With in-memory claims they herd onto the same nearest slot and most lose again.)"""
    await asyncio.gather(*(redis_client.ping() for _ in range(HERD)))  # a warm pool
    claims = [
        RedisSeatClaims(redis_client, namespace=namespace, call_timeout=2.0) for _ in range(HERD)
    ]

    outcomes = await race(fake, list(claims), rl.SlotRecovery())
    for claim in claims:
        await claim.flush()

    assert all(isinstance(o, rl.BookingOutcome) and o.recovered for o in outcomes), outcomes
    assert [len(o.attempts) for o in outcomes] == [2] * HERD  # type: ignore[union-attr]
    assert fake.request_count(BOOKINGS) == 2 * HERD
    assert [c.fallbacks for c in claims] == [0] * HERD
    audit(fake)
    # Nothing is left charging in Redis: every claim was released or marked booked.
    _, charging, _, _ = claims[0].keys(fake.demo.mitte_calendar_id)
    assert await redis_client.hgetall(charging) == {}


async def test_redis_dying_mid_run_leaves_every_caller_booked_or_with_alternatives(
    fake: FakeRocketLead, own_redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = aioredis.Redis.from_url(own_redis_server.url)
    try:
        await asyncio.gather(*(client.ping() for _ in range(HERD)))
        shared = RedisSeatClaims(client)  # one process's claims, shared by its callers' clients

        def kill_redis(event: rl.RecoveryEvent) -> None:
            if event.kind is rl.RecoveryEventKind.SLOT_TAKEN and own_redis_server.running:
                own_redis_server.stop()  # the first lost race: Redis goes away

        policy = rl.SlotRecovery(on_event=kill_redis)
        results = await race(fake, [shared] * HERD, policy)
        await shared.flush()
    finally:
        await client.aclose()

    for result in results:
        if isinstance(result, rl.SlotRecoveryExhausted):
            assert result.alternatives, result
        else:
            assert isinstance(result, rl.BookingOutcome), result
    assert sum(isinstance(r, rl.BookingOutcome) for r in results) >= HERD // 2
    assert shared.fallbacks >= 1
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    audit(fake)
