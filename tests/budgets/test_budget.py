"""Nothing waits past the call's ``timeout``: backoffs that would not fit are not slept, each
attempt gets at most what is left (never rounded up by aiohttp), and a booking POST is not
repeated when too little is left for it to finish."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rocketlead_async as rl
from tests.helpers.bodies import booking_json, envelope
from tests.helpers.clients import TOKEN, MakeClient
from tests.helpers.clock import FakeClock
from tests.helpers.intercept import intercepted, timing_out
from tests.helpers.retries import BOOKINGS, CALENDARS, REQUEST
from tests.helpers.scripted import Answer, ScriptedServer, Seen


def _limits(intercept: aioresponses) -> list[float]:
    """The ClientTimeout aiohttp was given for each request (intercepted or passed through)."""
    return [kwargs["timeout"].total for _, _, kwargs in intercepted(intercept)]


async def test_exponential_backoff_without_jitter(
    server: ScriptedServer, make_client: MakeClient, clock: FakeClock
) -> None:
    policy = rl.RetryPolicy(max_attempts=6, initial_backoff=0.25, max_backoff=1.0, jitter=0)
    client = make_client(base_url=server.url, timeout=60, retry=policy)
    server.get(CALENDARS, status=503, body="", repeat=True)

    with pytest.raises(rl.InternalServerError):
        await client.calendars.list()

    assert clock.sleeps == [0.25, 0.5, 1.0, 1.0, 1.0]
    assert len(server.requests) == 6


async def test_zero_backoff_policy_retries_without_waiting(
    server: ScriptedServer, make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client(base_url=server.url, retry=rl.RetryPolicy(initial_backoff=0))
    server.get(CALENDARS, status=500, body="", repeat=True)

    with pytest.raises(rl.InternalServerError):
        await client.calendars.list()
    assert clock.sleeps == [0.0, 0.0]


async def test_backoff_that_would_use_up_the_budget_is_not_slept(
    server: ScriptedServer, make_client: MakeClient, clock: FakeClock
) -> None:
    policy = rl.RetryPolicy(max_attempts=10, initial_backoff=1.0, max_backoff=4.0, jitter=0)
    client = make_client(base_url=server.url, timeout=5, retry=policy)
    server.get(CALENDARS, status=503, body="", repeat=True)

    with pytest.raises(rl.InternalServerError):
        await client.calendars.list()

    assert clock.sleeps == [1.0, 2.0]  # the next 4 s wait would not fit in the 2 s left
    assert sum(clock.sleeps) < 5
    assert len(server.requests) == 3


async def test_a_wait_as_long_as_the_budget_is_not_slept(
    server: ScriptedServer, make_client: MakeClient, clock: FakeClock
) -> None:
    """Even where float arithmetic on the clock leaves a sliver of the budget over (hypothesis
    found it in the version matrix)."""
    # The deadline is clock() + budget = 1001.0000000000001, so remaining() comes out
    # 1.0000000000001137: longer than the wait by float dust, not by a usable attempt.
    budget = 1.0000000000000888
    server.get(CALENDARS, status=429, payload=envelope(429, "no"), repeat=True)
    policy = rl.RetryPolicy(max_attempts=2, initial_backoff=2.0, max_backoff=budget, jitter=0.0)
    client = make_client(base_url=server.url, retry=policy)

    with pytest.raises(rl.RateLimitError):
        await client.calendars.list(timeout=budget)

    assert clock.sleeps == []
    assert len(server.requests) == 1


async def test_attempt_timeouts_are_clamped_to_the_budget_then_deadline_exceeded(
    server: ScriptedServer, intercept: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    policy = rl.RetryPolicy(initial_backoff=0.5, jitter=0, attempt_timeout=2.0)
    client = make_client(base_url=server.url, timeout=4, retry=policy)
    intercept.get(server.url + CALENDARS, **timing_out(clock), repeat=True)

    with pytest.raises(rl.DeadlineExceeded) as info:
        await client.calendars.list()

    assert _limits(intercept) == [2.0, 1.5]  # the second attempt only gets what is left
    assert clock.sleeps == [0.5]
    assert clock.elapsed == pytest.approx(4.0)
    assert isinstance(info.value, rl.APITimeoutError)


async def test_per_call_timeout_is_the_whole_budget(
    server: ScriptedServer, intercept: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client(base_url=server.url, timeout=30)
    intercept.get(server.url + CALENDARS, **timing_out(clock), repeat=True)

    with pytest.raises(rl.DeadlineExceeded, match=r"2\.5"):
        await client.calendars.list(timeout=2.5)

    assert _limits(intercept) == [2.5]
    assert clock.elapsed == pytest.approx(2.5)


@pytest.mark.parametrize("budget", [4.0, 5.0, 5.1, 12.75, 60.0])
async def test_attempt_deadline_is_never_rounded_up(
    server: ScriptedServer, intercept: aioresponses, client: rl.RocketLeadClient, budget: float
) -> None:
    """aiohttp rounds the deadline of a timeout >= ClientTimeout.ceil_threshold (5 s by default)
    up to the next whole second of loop time, so a 5.1 s budget could last 6 s. Every attempt's
    timeout must be exempt from that rounding."""
    server.get(CALENDARS, payload=[])

    await client.calendars.list(timeout=budget)

    # The request passed through intercept to the server; intercept recorded what aiohttp got.
    ((_, _, kwargs),) = intercepted(intercept)
    timeout = kwargs["timeout"]
    assert timeout.total == pytest.approx(budget)
    assert timeout.ceil_threshold > timeout.total


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    max_attempts=st.integers(1, 6),
    initial_backoff=st.floats(0, 3),
    max_backoff=st.floats(0, 5),
    jitter=st.floats(0, 1),
    cap=st.floats(0, 20),
    attempt_timeout=st.none() | st.floats(0.1, 5),
    timeout=st.floats(0.5, 20),
    script=st.lists(
        st.tuples(
            st.floats(0, 1, exclude_max=True),
            st.sampled_from(["429", "500", "502", "503", "504", "timeout", "disconnect"]),
            st.none() | st.integers(0, 30).map(str),
        ),
        min_size=6,
        max_size=6,
    ),
)
def test_budget_and_attempts_are_never_exceeded(
    intercept: aioresponses,
    max_attempts: int,
    initial_backoff: float,
    max_backoff: float,
    jitter: float,
    cap: float,
    attempt_timeout: float | None,
    timeout: float,
    script: list[tuple[float, str, str | None]],
) -> None:
    """Attempt ``n`` follows ``script[n]``: a status answer (with an optional Retry-After)
    after a share of the attempt's time limit, a disconnect after that share, or a timeout at
    the limit. Transport failures are armed through ``intercept`` just before the attempt they
    hit, since only then is it known that it is next. The scripted server answers over a real
    socket under aiohttp's real-time limit: when little of the budget is left, that limit may
    run out first, which is one more timeout (and costs no fake time)."""
    policy = rl.RetryPolicy(
        max_attempts=max_attempts,
        initial_backoff=initial_backoff,
        max_backoff=max_backoff,
        jitter=jitter,
        retry_after_cap=cap,
        attempt_timeout=attempt_timeout,
    )
    clock = FakeClock()

    async def scenario() -> BaseException:
        intercept.clear()
        intercept.requests.clear()
        server = ScriptedServer()
        url = await server.start()

        def arm(attempt: int) -> None:
            """Inject attempt ``attempt``'s failure, if it is a transport failure."""
            if attempt >= len(script):
                return
            share, kind, _ = script[attempt]
            if kind not in ("timeout", "disconnect"):
                return  # the server answers it

            def took(_url: Any, **kwargs: Any) -> None:
                limit = kwargs["timeout"].total
                clock.advance(limit if kind == "timeout" else share * limit)
                arm(attempt + 1)

            failure = (
                asyncio.TimeoutError() if kind == "timeout" else aiohttp.ServerDisconnectedError()
            )
            intercept.get(url + CALENDARS, callback=took, exception=failure)

        def answer(_seen: Seen) -> Answer:
            limits = _limits(intercept)  # this request is the latest one recorded
            attempt = len(limits) - 1
            share, kind, retry_after = script[min(attempt, len(script) - 1)]
            if attempt >= len(script) or not kind.isdigit():
                # Only once aiohttp's real-time limit cut an attempt short, so that the next
                # failure was armed late: any failure will do.
                return Answer(599)
            clock.advance(share * limits[-1])
            arm(attempt + 1)
            headers = {"Retry-After": retry_after} if retry_after is not None else None
            return Answer(int(kind), envelope(int(kind), "no"), headers=headers)

        server.get(CALENDARS, answer, repeat=True)
        arm(0)
        try:
            async with rl.RocketLeadClient(
                TOKEN, base_url=url, retry=policy, clock=clock, sleep=clock.sleep
            ) as client:
                try:
                    await client.calendars.list(timeout=timeout)
                except rl.RocketLeadError as error:
                    return error
            raise AssertionError("every scripted answer is a failure")
        finally:
            await server.stop()

    error = asyncio.run(scenario())
    limits = _limits(intercept)  # one per attempt

    assert isinstance(error, (rl.APIStatusError, rl.APIConnectionError))
    assert 1 <= len(limits) <= max_attempts
    assert len(clock.sleeps) == len(limits) - 1
    assert clock.elapsed <= timeout + 1e-9
    assert sum(clock.sleeps) < timeout
    assert all(0 < limit <= timeout + 1e-9 for limit in limits)
    assert all(delay >= 0 for delay in clock.sleeps)
    if attempt_timeout is not None:
        assert all(limit <= attempt_timeout for limit in limits)


# -- a booking POST and the time left ---------------------------------------------------------


async def test_no_transport_repeat_of_a_booking_post_starts_below_min_attempt_time(
    server: ScriptedServer, client: rl.RocketLeadClient, clock: FakeClock
) -> None:
    """After a 503 with Retry-After 0.9 under timeout=1.0, a repeat would start with 0.1 s
    left and could be cut off after committing: it does not start."""
    refusal = envelope(503, "Service Unavailable")
    server.post(BOOKINGS, status=503, payload=refusal, headers={"Retry-After": "0.9"})
    server.post(BOOKINGS, status=201, payload=booking_json())  # what a repeat would get

    with pytest.raises(rl.InternalServerError):
        await client.bookings.book(REQUEST, timeout=1.0)
    assert len(server.requests) == 1
    assert clock.sleeps == []


async def test_a_transport_repeat_within_min_attempt_time_stays_one_attempt(
    server: ScriptedServer, client: rl.RocketLeadClient
) -> None:
    """SlotRecovery.max_attempts counts attempts: a POST repeated because it certainly did not
    commit (429) stays within its attempt."""
    server.post(BOOKINGS, status=429, payload=envelope(429, "slow down"))
    server.post(BOOKINGS, status=201, payload=booking_json())

    outcome = await client.bookings.book(REQUEST, recovery=rl.SlotRecovery(max_attempts=1))

    assert len(outcome.attempts) == 1
    assert len(server.requests) == 2
