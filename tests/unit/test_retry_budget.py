"""A wait that would spend the call's whole budget is not slept, even where float arithmetic on
the clock leaves a sliver of the budget over (hypothesis found it in the version matrix)."""

from __future__ import annotations

import pytest
from tests.helpers.clients import MakeClient
from aioresponses import aioresponses

import rocketlead_async as rl

from ._support import FakeClock, calls, envelope, url


async def test_a_wait_as_long_as_the_budget_is_not_slept(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    # The deadline is clock() + budget = 1001.0000000000001, so remaining() comes out
    # 1.0000000000001137: longer than the wait by float dust, not by a usable attempt.
    budget = 1.0000000000000888
    mocked.get(url("/connect/calendar/"), status=429, payload=envelope(429, "no"), repeat=True)
    policy = rl.RetryPolicy(max_attempts=2, initial_backoff=2.0, max_backoff=budget, jitter=0.0)
    client = make_client(retry=policy)

    with pytest.raises(rl.RateLimitError):
        await client.calendars.list(timeout=budget)

    assert clock.sleeps == []
    assert len(calls(mocked)) == 1
