"""RedisSeatClaims on a real server: what one process's claims do to another's picks.

Each ``RedisSeatClaims`` instance stands for one process (its local claims are its own); they
meet only in Redis.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable

import pytest
import redis.asyncio as aioredis

import rocketlead_async as rl
from rocketlead_async.claims import RedisSeatClaims
from tests.helpers.claims import CAL, HOUR, T0, slot

Processes = Callable[..., RedisSeatClaims]


def text(key: bytes | str) -> str:
    """A Redis answer as text (the client returns bytes unless told to decode)."""
    return key.decode() if isinstance(key, bytes) else key


@pytest.fixture
async def process(redis_client: aioredis.Redis, namespace: str) -> AsyncIterator[Processes]:
    """Makes one process's claims; checks at the end that Redis never failed them."""
    made: list[RedisSeatClaims] = []

    def make(**options: object) -> RedisSeatClaims:
        claims = RedisSeatClaims(redis_client, namespace=namespace, **options)  # type: ignore[arg-type]
        made.append(claims)
        return claims

    yield make
    for claims in made:
        await claims.flush()
    assert [claims.fallbacks for claims in made] == [0] * len(made)


async def pick(
    claims: RedisSeatClaims, *ranked: rl.Slot, age: float = 0.0
) -> tuple[rl.Slot, rl.Seat]:
    """``take_best`` of the first of ``ranked``, with availability ``age`` seconds old."""
    return await claims.take_best(
        ranked[0], ranked, calendar_id=CAL, fetched_at=100.0 - age, now=100.0
    )


async def test_another_process_claim_moves_the_pick_to_the_next_free_seat(
    process: Processes,
) -> None:
    one, two = process(), process()
    full, later, overlapping = slot(T0, seats=1), slot(T0 + HOUR), slot(T0 + HOUR / 2, seats=1)
    one.take(full.key, calendar_id=CAL)
    await one.flush()

    picked, seat = await pick(two, overlapping, later)  # shares the claimed seat's hour
    assert picked is later
    assert seat.key == later.key
    assert two.free_seats(later, fetched_at=0.0) == 1  # claimed here too, without an await
    picked, _ = await pick(two, slot(T0, seats=1, resource="ben"), later)
    assert picked.resource_id == "ben"  # another resource's seat is its own


async def test_a_released_claim_no_longer_moves_picks(process: Processes) -> None:
    one, two = process(), process()
    full = slot(T0, seats=1)
    seat = one.take(full.key, calendar_id=CAL)
    one.release(seat)
    await one.flush()

    picked, _ = await pick(two, full, slot(T0 + HOUR))
    assert picked is full


async def test_a_booked_seat_counts_for_availability_older_than_the_booking(
    process: Processes,
) -> None:
    one, two = process(), process()
    full = slot(T0, seats=1)
    one.release(one.take(full.key, calendar_id=CAL), booked_at=1.0)
    await one.flush()

    picked, seat = await pick(two, full, slot(T0 + HOUR), age=60.0)  # fetched before it
    assert picked is not full
    two.release(seat)
    picked, _ = await pick(two, full, slot(T0 + HOUR), age=0.0)  # fresh: already shows it
    assert picked is full


async def test_simultaneous_picks_never_share_the_last_seats(
    process: Processes, redis_client: aioredis.Redis
) -> None:
    """Twelve processes lose the same race at once: each pick-and-claim is atomic, so the
    popular slot's three seats go to three of them and every other lands elsewhere."""
    # Open the pool's connections first, as a process's earlier claims would have.
    await asyncio.gather(*(redis_client.ping() for _ in range(12)))
    popular = slot(T0, seats=3)
    others = [slot(T0 + HOUR * (i + 1), seats=1) for i in range(6)]
    others += [slot(T0 - HOUR * (i + 1), seats=1) for i in range(6)]
    fleet = [process(call_timeout=2.0) for _ in range(12)]  # a loaded machine: no fallback

    picks = await asyncio.gather(*(pick(claims, popular, *others) for claims in fleet))

    seats = Counter(picked.key for picked, _ in picks)
    assert seats[popular.key] == 3
    assert max(n for key, n in seats.items() if key != popular.key) == 1


async def test_a_crashed_process_claims_expire(
    process: Processes, redis_client: aioredis.Redis
) -> None:
    crashed, survivor = process(ttl=30.0), process()
    full = slot(T0, seats=1)
    crashed.take(full.key, calendar_id=CAL)  # never released: the process died
    await crashed.flush()
    keys = crashed.keys(CAL)
    [claim_id] = [text(key) for key in await redis_client.hkeys(keys[0])]

    for key in keys[:3]:  # the whole calendar goes when its last claim expires
        assert 0 < await redis_client.pttl(key) <= 30_000
    assert (await pick(survivor, full, slot(T0 + HOUR)))[0] is not full

    # 30 s later (its expiry moved into the past instead of waiting), the claim is gone.
    await redis_client.zadd(keys[2], {claim_id: 1.0})
    assert (await pick(survivor, full, slot(T0 + HOUR)))[0] is full
    assert claim_id not in [text(key) for key in await redis_client.hkeys(keys[0])]


async def test_namespaces_and_calendars_are_kept_apart(
    redis_client: aioredis.Redis, namespace: str
) -> None:
    acme = RedisSeatClaims(redis_client, namespace=f"{namespace}-acme")
    other = RedisSeatClaims(redis_client, namespace=f"{namespace}-other")
    full = slot(T0, seats=1)
    acme.take(full.key, calendar_id=CAL)
    await acme.flush()

    assert (await pick(other, full, slot(T0 + HOUR)))[0] is full
    picked, _ = await acme.take_best(full, [full], calendar_id="cal-2", fetched_at=0.0, now=0.0)
    assert picked is full
    assert acme.keys(CAL)[0] == f"{namespace}-acme:seats:{{{CAL}}}:claims"


def test_bad_options_are_refused_naming_them(redis_client: aioredis.Redis) -> None:
    with pytest.raises(TypeError, match="redis"):
        RedisSeatClaims(object())  # no eval()
    with pytest.raises(ValueError, match="ttl"):
        RedisSeatClaims(redis_client, ttl=0)
    with pytest.raises(ValueError, match="namespace"):
        RedisSeatClaims(redis_client, namespace="two words")


async def test_with_no_seat_left_anywhere_the_claim_stays_on_the_choice(
    process: Processes, redis_client: aioredis.Redis
) -> None:
    one, two = process(), process()
    first, second = slot(T0, seats=1), slot(T0 + HOUR, seats=1)
    one.take(first.key, calendar_id=CAL)
    one.take(second.key, calendar_id=CAL)
    await one.flush()

    picked, _ = await two.take_best(
        second, [first, second], calendar_id=CAL, fetched_at=100.0, now=100.0
    )
    await two.flush()

    assert picked is second  # advisory: the local pick stands
    _, charging, _, _ = two.keys(CAL)
    counts = {
        text(k).split(" ")[0]: int(v) for k, v in (await redis_client.hgetall(charging)).items()
    }
    assert counts == {repr(first.start.timestamp()): 1, repr(second.start.timestamp()): 2}
