"""A slow or dead Redis never holds a booking up: local claims, one warning, a counter."""

from __future__ import annotations

import logging
import time

import pytest
import redis.asyncio as aioredis

from rocketlead_async.claims import RedisSeatClaims
from rocketlead_async.testing._redis import RedisServer
from tests.helpers.claims import CAL, HOUR, T0, slot

BOUND = 0.05


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]


async def test_a_redis_that_never_answers_costs_a_pick_at_most_the_bound(
    silent_redis: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    claims = RedisSeatClaims(silent_redis, call_timeout=BOUND)
    full, later = slot(T0, seats=1), slot(T0 + HOUR)

    started = time.perf_counter()
    picked, seat = await claims.take_best(full, [full, later], calendar_id=CAL, fetched_at=0, now=0)
    waited = time.perf_counter() - started

    assert picked is full  # the local pick stands
    assert claims.free_seats(full, fetched_at=0.0) == 0  # and is claimed locally
    assert waited < 10 * BOUND  # the bound, plus a loaded machine's scheduling
    assert claims.fallbacks == 1
    claims.release(seat)  # in the background: never waited for
    await claims.take_best(later, [later], calendar_id=CAL, fetched_at=0, now=0)  # late again
    await claims.flush()
    assert claims.fallbacks == 3
    # Late twice in a row: Redis is left alone for a while, the next calls do not wait at all.
    started = time.perf_counter()
    await claims.take_best(later, [later], calendar_id=CAL, fetched_at=0, now=0)
    claims.take(full.key, calendar_id=CAL)
    await claims.flush()
    assert time.perf_counter() - started < BOUND
    assert claims.fallbacks == 5  # the pick and the claim went on locally
    assert len(warnings_of(caplog)) == 1
    assert "Redis seat claims slow or unavailable" in warnings_of(caplog)[0]


async def test_a_redis_stopped_mid_run_falls_back_once_warned(
    own_redis_server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    client = aioredis.Redis.from_url(own_redis_server.url)
    try:
        one, two = RedisSeatClaims(client), RedisSeatClaims(client)
        full, later = slot(T0, seats=1), slot(T0 + HOUR)
        one.take(full.key, calendar_id=CAL)
        await one.flush()
        assert (await two.take_best(full, [full, later], calendar_id=CAL, fetched_at=0, now=0))[
            0
        ] is later
        assert (one.fallbacks, two.fallbacks) == (0, 0)

        own_redis_server.stop()
        started = time.perf_counter()
        picked, _ = await two.take_best(full, [full, later], calendar_id=CAL, fetched_at=0, now=0)
        assert time.perf_counter() - started < 10 * BOUND
        assert picked is full  # what this process knows: nothing against it
        assert two.fallbacks == 1
        assert warnings_of(caplog) == [
            "Redis seat claims slow or unavailable (ConnectionError); booking goes on with "
            "this process's claims"
        ]
    finally:
        await client.aclose()


def test_the_warning_never_shows_the_redis_url(
    caplog: pytest.LogCaptureFixture,
) -> None:
    claims = RedisSeatClaims(aioredis.Redis.from_url("redis://:hunter2@127.0.0.1:1/0"))
    claims._failed(ConnectionError("Error connecting to redis://:hunter2@127.0.0.1:1"))
    assert "hunter2" not in caplog.text
    assert claims.fallbacks == 1
