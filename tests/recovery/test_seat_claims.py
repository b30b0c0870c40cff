"""Seat claims: the protocol ``book()`` relies on, on both implementations (in-memory, and
Redis on a real server), and what the in-memory one keeps, for how long.

What ``book()`` relies on from any ``seat_claims``: a claim counts at once (no await) against
every overlapping slot of its resource, a release gives the seat back, a booked seat counts
only for availability fetched before it, and ``take_best`` claims the choice when nothing
else is known against it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import redis.asyncio as aioredis

import rocketlead_async as rl
from rocketlead_async.claims import RedisSeatClaims
from rocketlead_async.recovery import SeatClaims
from rocketlead_async.testing._redis import RedisServer
from tests.helpers.claims import CAL, HOUR, T0, slot


@pytest.fixture(params=["memory", "redis"])
async def claims(
    request: pytest.FixtureRequest, namespace: str
) -> AsyncIterator[rl.SeatClaimsProtocol]:
    if request.param == "memory":
        yield rl.SeatClaims()
        return
    server: RedisServer = request.getfixturevalue("redis_server")  # sync: may be looked up here
    client = aioredis.Redis.from_url(server.url)
    made = RedisSeatClaims(client, namespace=namespace)
    yield made
    await made.flush()
    await client.aclose()
    assert made.fallbacks == 0


async def test_both_implement_the_protocol(claims: rl.SeatClaimsProtocol) -> None:
    assert isinstance(claims, rl.SeatClaimsProtocol)


async def test_a_claim_takes_a_seat_of_every_overlapping_slot_at_once(
    claims: rl.SeatClaimsProtocol,
) -> None:
    claims.take(slot(T0).key, calendar_id=CAL)  # no await: counts before the call yields

    assert claims.free_seats(slot(T0), fetched_at=0.0) == 1
    assert claims.free_seats(slot(T0 + HOUR / 2), fetched_at=0.0) == 1  # overlaps
    assert claims.free_seats(slot(T0 + HOUR), fetched_at=0.0) == 2  # back to back: free
    assert claims.free_seats(slot(T0, resource="ben"), fetched_at=0.0) == 2


async def test_a_released_claim_gives_the_seat_back(claims: rl.SeatClaimsProtocol) -> None:
    first = claims.take(slot(T0).key, calendar_id=CAL)
    second = claims.take(slot(T0).key, calendar_id=CAL)
    assert claims.free_seats(slot(T0), fetched_at=0.0) == 0

    claims.release(first)
    assert claims.free_seats(slot(T0), fetched_at=0.0) == 1
    claims.release(second)
    assert claims.free_seats(slot(T0), fetched_at=0.0) == 2


async def test_a_booked_seat_counts_only_for_availability_fetched_before_it(
    claims: rl.SeatClaimsProtocol,
) -> None:
    claims.watch(9.0)  # a call ranks with availability fetched at 9
    claims.release(claims.take(slot(T0).key, calendar_id=CAL), booked_at=10.0)

    assert claims.free_seats(slot(T0), fetched_at=9.0) == 1  # it cannot show the booking
    assert claims.free_seats(slot(T0, booked=1), fetched_at=11.0) == 1  # it shows it

    claims.unwatch(9.0)
    assert claims.free_seats(slot(T0), fetched_at=9.0) == 2  # nobody can miss it any more


async def test_take_best_claims_the_choice_when_nothing_is_against_it(
    claims: rl.SeatClaimsProtocol,
) -> None:
    choice, other = slot(T0), slot(T0 + HOUR)
    picked, seat = await claims.take_best(
        choice, [choice, other], calendar_id=CAL, fetched_at=0.0, now=0.0
    )
    assert picked is choice
    assert seat.key == choice.key
    assert claims.free_seats(choice, fetched_at=0.0) == 1
    claims.release(seat)
    assert claims.free_seats(choice, fetched_at=0.0) == 2


async def test_free_seats_never_go_below_zero(claims: rl.SeatClaimsProtocol) -> None:
    claims.take(slot(T0).key, calendar_id=CAL)
    assert claims.free_seats(slot(T0, booked=2), fetched_at=0.0) == 0


# -- in-memory only: what it keeps ------------------------------------------------------------


def test_a_booked_seat_nobody_in_flight_can_miss_is_not_kept() -> None:
    """No call ranks with availability older than the booking: the server's answers already
    count it, so keeping it would only grow memory and every scan."""
    claims = SeatClaims()
    claims.watch(11.0)  # fetched after the booking below
    claims.release(claims.take(slot(T0).key), booked_at=10.0)

    assert claims.remembered() == 0
    assert claims.free_seats(slot(T0), fetched_at=9.0) == 2


def test_a_booked_seat_is_kept_while_an_older_view_is_in_flight() -> None:
    claims = SeatClaims()
    claims.watch(8.0)
    claims.watch(9.0)
    claims.release(claims.take(slot(T0).key), booked_at=10.0)
    claims.release(claims.take(slot(T0 + 3 * HOUR).key), booked_at=8.5)

    assert claims.remembered() == 2
    claims.unwatch(8.0)  # only the view of 9.0 is left: the 8.5 booking is in it
    assert claims.remembered() == 1
    assert claims.free_seats(slot(T0), fetched_at=9.0) == 1
    claims.unwatch(9.0)
    assert claims.remembered() == 0


def test_charging_counts_claims_in_flight_only() -> None:
    claims = SeatClaims()
    claims.watch(0.0)
    claims.take(slot(T0).key)
    claims.release(claims.take(slot(T0).key), booked_at=1.0)
    assert claims.charging() == 1
    assert claims.remembered() == 1
