"""``Retry-After`` is honoured (seconds or an HTTP date, on a 429 or a 503), capped by the
policy, and never waited past the call's budget: a wait that would not fit raises at once."""

from __future__ import annotations

import email.utils
from datetime import datetime, timedelta, timezone

import pytest
from aioresponses import aioresponses

import rocketlead_async as rl
from tests.helpers.bodies import envelope
from tests.helpers.clients import MakeClient
from tests.helpers.clock import FakeClock
from tests.helpers.intercept import timing_out
from tests.helpers.retries import CALENDARS, TARGETS, rate_limited
from tests.helpers.scripted import ScriptedServer


async def test_retry_after_seconds_is_waited(
    server: ScriptedServer, client: rl.RocketLeadClient, clock: FakeClock
) -> None:
    server.get(CALENDARS, **rate_limited("3"))
    server.get(CALENDARS, payload=[])

    assert await client.calendars.list() == []
    assert clock.sleeps == [3.0]
    assert len(server.requests) == 2


async def test_retry_after_on_503_is_waited_too(
    server: ScriptedServer, client: rl.RocketLeadClient, clock: FakeClock
) -> None:
    server.get(
        CALENDARS, status=503, payload=envelope(503, "maintenance"), headers={"Retry-After": "2"}
    )
    server.get(CALENDARS, payload=[])

    assert await client.calendars.list() == []
    assert clock.sleeps == [2.0]


async def test_retry_after_http_date_is_waited(
    server: ScriptedServer, make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client(base_url=server.url, timeout=60)
    when = datetime.now(timezone.utc) + timedelta(seconds=8)
    server.get(CALENDARS, **rate_limited(email.utils.format_datetime(when, True)))
    server.get(CALENDARS, payload=[])

    await client.calendars.list()

    (waited,) = clock.sleeps
    assert 5.0 < waited <= 8.0  # the date has whole seconds


async def test_retry_after_is_capped(
    server: ScriptedServer, make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client(base_url=server.url, timeout=30, retry=rl.RetryPolicy(retry_after_cap=2.0))
    server.get(CALENDARS, **rate_limited("120"))
    server.get(CALENDARS, payload=[])

    await client.calendars.list()
    assert clock.sleeps == [2.0]


@pytest.mark.parametrize("target", ["GET", "POST booking"])
async def test_retry_after_beyond_the_budget_raises_at_once(
    server: ScriptedServer, make_client: MakeClient, clock: FakeClock, target: str
) -> None:
    client = make_client(base_url=server.url, timeout=10, retry=rl.RetryPolicy(retry_after_cap=60))
    method, path, call, _ = TARGETS[target]
    server.add(method, path, **rate_limited("30"))

    with pytest.raises(rl.RateLimitError) as info:
        await call(client)

    assert info.value.retry_after == 30.0
    assert clock.sleeps == []
    assert len(server.requests) == 1


async def test_retry_after_beyond_what_is_left_of_the_budget(
    server: ScriptedServer, intercept: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client(base_url=server.url, timeout=10, retry=rl.RetryPolicy(attempt_timeout=4.0))
    intercept.get(server.url + CALENDARS, **timing_out(clock))  # 4 s gone
    server.get(CALENDARS, **rate_limited("7"))  # 7 s > ~6 s left

    with pytest.raises(rl.RateLimitError) as info:
        await client.calendars.list()

    assert info.value.retry_after == 7.0
    assert len(clock.sleeps) == 1  # only the backoff after the timeout
    assert clock.elapsed < 10


async def test_last_attempt_429_carries_retry_after(
    server: ScriptedServer, make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client(base_url=server.url, timeout=60, retry=rl.RetryPolicy(max_attempts=2))
    server.get(CALENDARS, **rate_limited("1.5"), repeat=True)

    with pytest.raises(rl.RateLimitError) as info:
        await client.calendars.list()

    assert info.value.retry_after == 1.5
    assert clock.sleeps == [1.5]
    assert len(server.requests) == 2
