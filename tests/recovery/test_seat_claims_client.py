"""RocketLeadClient(seat_claims=...): what it accepts, who shares it, and closing."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

import rocketlead_async as rl
from rocketlead_async.claims import RedisSeatClaims
from rocketlead_async.testing import FakeRocketLead
from tests.helpers.claims import CAL, HOUR, T0, slot
from tests.helpers.clients import TOKEN
from tests.helpers.demo import trainer_request


class OwnClaims:
    """A user's own seat claims (no base class): in-memory ones, telling what book() asked."""

    def __init__(self) -> None:
        self.inner = rl.SeatClaims()
        self.calls: list[str] = []

    def take(self, key: rl.SlotKey, *, calendar_id: str | None = None) -> rl.Seat:
        self.calls.append("take")
        return self.inner.take(key, calendar_id=calendar_id)

    async def take_best(
        self,
        choice: rl.Slot,
        ranked: Sequence[rl.Slot],
        *,
        calendar_id: str | None,
        fetched_at: float,
        now: float,
    ) -> tuple[rl.Slot, rl.Seat]:
        self.calls.append("take_best")
        return await self.inner.take_best(
            choice, ranked, calendar_id=calendar_id, fetched_at=fetched_at, now=now
        )

    def release(self, seat: rl.Seat, *, booked_at: float | None = None) -> None:
        self.calls.append("release" if booked_at is None else "release booked")
        self.inner.release(seat, booked_at=booked_at)

    def free_seats(self, slot: rl.Slot, fetched_at: float) -> int:
        return self.inner.free_seats(slot, fetched_at)

    def watch(self, fetched_at: float) -> None:
        self.calls.append("watch")
        self.inner.watch(fetched_at)

    def unwatch(self, fetched_at: float) -> None:
        self.calls.append("unwatch")
        self.inner.unwatch(fetched_at)

    async def flush(self) -> None:
        self.calls.append("flush")


def test_anything_but_seat_claims_is_refused_naming_the_field() -> None:
    with pytest.raises(TypeError, match="seat_claims"):
        rl.RocketLeadClient(TOKEN, seat_claims=object())  # type: ignore[arg-type]


async def test_a_users_own_claims_are_what_book_uses(fake: FakeRocketLead) -> None:
    own = OwnClaims()
    fake.race_next_bookings(1)
    async with rl.RocketLeadClient(fake.tokens.write, base_url=fake.url, seat_claims=own) as client:
        assert client.seat_claims is own
        outcome = await client.bookings.book(trainer_request(fake.demo))

    assert outcome.recovered
    # The requested slot's claim, given back when lost; the alternative's, booked; flushed
    # when the client closes.
    assert own.calls == [
        "take", "release", "watch", "take_best", "release booked", "unwatch", "flush"
    ]  # fmt: skip
    assert own.inner.charging() == 0


async def test_each_client_has_its_own_claims_and_derived_clients_share_them() -> None:
    async with rl.RocketLeadClient(TOKEN) as one, rl.RocketLeadClient(TOKEN) as two:
        assert isinstance(one.seat_claims, rl.SeatClaims)
        assert one.seat_claims is not two.seat_claims
        assert one.with_options(timeout=3).seat_claims is one.seat_claims


async def test_closing_the_client_waits_for_claim_writes_under_way(closed_port: int) -> None:
    # No retries of the connection: refused at once.
    redis = aioredis.Redis(host="127.0.0.1", port=closed_port, retry=Retry(NoBackoff(), 0))
    claims = RedisSeatClaims(redis)
    try:
        client = rl.RocketLeadClient(TOKEN, seat_claims=claims)
        claims.take(slot(T0).key, calendar_id=CAL)  # written in the background

        await client.aclose()
        assert claims.fallbacks == 1  # the write ran (and was refused) before aclose returned
    finally:
        await redis.aclose()


async def test_a_cancelled_pick_gives_its_seat_back(
    silent_redis: aioredis.Redis,
) -> None:
    claims = RedisSeatClaims(silent_redis, call_timeout=0.5)
    full = slot(T0, seats=1)
    pick = asyncio.ensure_future(
        claims.take_best(full, [full, slot(T0 + HOUR)], calendar_id=CAL, fetched_at=0, now=0)
    )
    await asyncio.sleep(0)  # claimed locally, now waiting for Redis
    assert claims.free_seats(full, fetched_at=0.0) == 0

    pick.cancel()
    with pytest.raises(asyncio.CancelledError):
        await pick
    assert claims.free_seats(full, fetched_at=0.0) == 1
    await claims.flush()  # the release of the claim Redis may have written (times out here)


async def test_a_pick_cancelled_as_redis_answers_stays_cancelled() -> None:
    """The caller hangs up in the very loop turn Redis answers: ``book()`` must not go on to
    POST for them (``asyncio.wait_for`` before Python 3.12 would return the answer)."""
    answer: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    class AnsweringLater:
        def eval(self, *_args: object) -> asyncio.Future[int]:
            return answer

    claims = RedisSeatClaims(AnsweringLater())
    full = slot(T0, seats=1)
    pick = asyncio.ensure_future(
        claims.take_best(full, [full], calendar_id=CAL, fetched_at=0, now=0)
    )
    await asyncio.sleep(0)
    answer.set_result(0)
    pick.cancel()

    with pytest.raises(asyncio.CancelledError):
        await pick
    assert claims.free_seats(full, fetched_at=0.0) == 1
