"""What is retried, how often, how long it waits, and what a POST does instead."""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aioresponses import aioresponses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rocketlead_async as rl
from rocketlead_async._retry import is_retryable, may_have_committed, parse_retry_after

from ._support import (
    FakeClock,
    Held,
    Loopback,
    booking_json,
    booking_request,
    calls,
    drop_after_send,
    envelope,
    hang,
    lead_json,
    lead_request,
    only_call,
    refused,
    reply,
    sequence,
    timing_out,
    url,
)

MakeClient = Callable[..., rl.RocketLeadClient]

# -- the matrix -------------------------------------------------------------------------------

# target -> (HTTP method, path, the call, a successful answer's payload)
TARGETS: dict[str, tuple[str, str, Callable[[rl.RocketLeadClient], Awaitable[Any]], Any]] = {
    "GET": (
        "GET",
        "/connect/calendar/cal_berlin",
        lambda c: c.calendars.get("cal_berlin"),
        {"id": "cal_berlin"},
    ),
    "DELETE": (
        "DELETE",
        "/connect/calendar_bookings/bk_9001",
        lambda c: c.bookings.delete("bk_9001"),
        None,
    ),
    "PATCH": (
        "PATCH",
        "/connect/table_entries/entry_77",
        lambda c: c.leads.update("entry_77", {"leadStateId": "ls_won"}),
        lead_json(),
    ),
    "POST booking": (
        "POST",
        "/connect/calendar_bookings/",
        lambda c: c.bookings.create(REQUEST),
        booking_json(),
    ),
    "POST lead": ("POST", "/connect/table_entries/", lambda c: c.leads.create(LEAD), lead_json()),
}
REQUEST = booking_request()
LEAD = lead_request()

FAILURES = [
    "refused",
    "connect-timeout",
    "read-timeout",
    "disconnect",
    "429",
    "500",
    "502",
    "503",
    "504",
    "400",
    "404",
]

RETRIED = "retried"
IDEMPOTENT_RESULT: dict[str, tuple[str, type[Exception]]] = {
    "refused": (RETRIED, rl.APIConnectionError),
    "connect-timeout": (RETRIED, rl.APITimeoutError),
    "read-timeout": (RETRIED, rl.APITimeoutError),
    "disconnect": (RETRIED, rl.APIConnectionError),
    "429": (RETRIED, rl.RateLimitError),
    "500": (RETRIED, rl.InternalServerError),
    "502": (RETRIED, rl.InternalServerError),
    "503": (RETRIED, rl.InternalServerError),
    "504": (RETRIED, rl.InternalServerError),
    "400": ("once", rl.BadRequestError),
    "404": ("once", rl.NotFoundError),
}
UNKNOWN = "unknown"
POST_RESULT: dict[str, tuple[str, type[Exception]]] = {
    "refused": (RETRIED, rl.APIConnectionError),
    "connect-timeout": (RETRIED, rl.APITimeoutError),
    "read-timeout": (UNKNOWN, rl.APITimeoutError),
    "disconnect": (UNKNOWN, rl.APIConnectionError),
    "429": (RETRIED, rl.RateLimitError),
    "500": ("once", rl.InternalServerError),
    "502": (UNKNOWN, rl.InternalServerError),
    "503": (RETRIED, rl.InternalServerError),
    "504": (UNKNOWN, rl.InternalServerError),
    "400": ("once", rl.BadRequestError),
    "404": ("once", rl.NotFoundError),
}


def failure(clock: FakeClock, kind: str) -> dict[str, Any]:
    """aioresponses arguments for one request failing with ``kind``."""
    if kind == "refused":
        return {"exception": refused()}
    if kind == "connect-timeout":
        return {"exception": aiohttp.ConnectionTimeoutError("Connection timeout to host")}
    if kind == "read-timeout":
        return timing_out(clock)
    if kind == "disconnect":
        return {"exception": aiohttp.ServerDisconnectedError()}
    status = int(kind)
    return {"status": status, "payload": envelope(status, f"failure {status}")}


# aioresponses never writes a request body, so a read timeout or disconnect it mocks for a POST
# is one before the body went out: nothing can have committed, and the POST is repeated. The
# same failures after the body was written leave the outcome unknown (POST_RESULT); those rows
# run on a real socket: test_retry_matrix_post_failing_after_send.
AFTER_SEND = ["read-timeout", "disconnect"]
POST_TARGETS = [target for target, (method, *_) in TARGETS.items() if method == "POST"]
POST_BEFORE_BODY_RESULT: dict[str, tuple[str, type[Exception]]] = {
    **POST_RESULT,
    "read-timeout": (RETRIED, rl.APITimeoutError),
    "disconnect": (RETRIED, rl.APIConnectionError),
}


@pytest.mark.parametrize("kind", FAILURES)
@pytest.mark.parametrize("target", list(TARGETS))
async def test_retry_matrix(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock, target: str, kind: str
) -> None:
    hooked: list[rl.OutcomeUnknownError] = []
    # attempt_timeout lets a read timeout leave budget for another attempt.
    client = make_client(
        retry=rl.RetryPolicy(max_attempts=3, attempt_timeout=1.0), on_outcome_unknown=hooked.append
    )
    method, path, call, _ = TARGETS[target]
    mocked.add(url(path), method, repeat=True, **failure(clock, kind))
    expected, cause = (POST_BEFORE_BODY_RESULT if method == "POST" else IDEMPOTENT_RESULT)[kind]

    with pytest.raises(rl.RocketLeadError) as info:
        await call(client)

    sent = len(calls(mocked))
    assert len(clock.sleeps) == sent - 1
    if expected == RETRIED:
        assert sent == 3
        assert type(info.value) is cause
    elif expected == "once":
        assert sent == 1
        assert type(info.value) is cause
    else:
        assert sent == 1, "a POST that may have committed is never sent again"
        unknown_cls = (
            rl.BookingOutcomeUnknown if target == "POST booking" else rl.OutcomeUnknownError
        )
        assert type(info.value) is unknown_cls
        assert info.value.request is (REQUEST if target == "POST booking" else LEAD)
        assert (info.value.method, info.value.path) == ("POST", path)
        assert type(info.value.__cause__) is cause
        assert hooked == [info.value]
        return
    assert hooked == []
    if isinstance(info.value, rl.APIConnectionError) and method == "POST":
        assert info.value.request_sent is False  # only never-connected POSTs are repeated


@pytest.mark.parametrize(
    ("target", "first"),
    [
        ("GET", "503"),
        ("GET", "disconnect"),
        ("DELETE", "504"),
        ("PATCH", "502"),
        ("PATCH", "read-timeout"),
        ("POST booking", "refused"),
        ("POST booking", "429"),
        ("POST booking", "503"),
        ("POST lead", "connect-timeout"),
    ],
)
async def test_retried_call_then_succeeds(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock, target: str, first: str
) -> None:
    hooked: list[rl.OutcomeUnknownError] = []
    client = make_client(
        retry=rl.RetryPolicy(attempt_timeout=1.0), on_outcome_unknown=hooked.append
    )
    method, path, call, payload = TARGETS[target]
    mocked.add(url(path), method, **failure(clock, first))
    mocked.add(url(path), method, status=204 if payload is None else 200, payload=payload)

    result = await call(client)

    assert len(calls(mocked)) == 2
    assert len(clock.sleeps) == 1
    assert hooked == []
    if payload is None:
        assert result is None
    else:
        assert result.id == payload["id"]


# -- POST: outcome unknown --------------------------------------------------------------------


@pytest.mark.parametrize("hook_kind", ["sync", "async"])
async def test_outcome_unknown_hook_is_called_exactly_once(
    mocked: aioresponses, make_client: MakeClient, hook_kind: str
) -> None:
    hooked: list[rl.OutcomeUnknownError] = []

    def sync_hook(error: rl.OutcomeUnknownError) -> None:
        hooked.append(error)

    async def async_hook(error: rl.OutcomeUnknownError) -> None:
        await asyncio.sleep(0)
        hooked.append(error)

    client = make_client(on_outcome_unknown=sync_hook if hook_kind == "sync" else async_hook)
    mocked.post(url("/connect/calendar_bookings/"), status=504, body="upstream timed out")

    with pytest.raises(rl.BookingOutcomeUnknown) as info:
        await client.bookings.create(REQUEST)
    await client.aclose()  # an async hook runs as a task of its own; aclose() waits for it

    assert hooked == [info.value]
    assert info.value.request is REQUEST
    assert info.value.status == 504
    assert isinstance(info.value, rl.OutcomeUnknownError)
    assert len(calls(mocked)) == 1


async def test_an_async_hook_runs_on_its_own_and_aclose_waits_for_it(
    mocked: aioresponses, clock: FakeClock
) -> None:
    """The hook may be reporting a booking that exists (paging a human): the caller gets its
    error at once, without waiting for the hook (its budget is its own), and the hook is never
    cut off: aclose() waits for it."""
    release = asyncio.Event()
    reported: list[rl.OutcomeUnknownError] = []

    async def slow_hook(error: rl.OutcomeUnknownError) -> None:
        await release.wait()
        reported.append(error)

    mocked.post(url("/connect/calendar_bookings/"), status=504, body="")
    client = rl.RocketLeadClient(
        "rocketlead_live_x", clock=clock, sleep=clock.sleep, on_outcome_unknown=slow_hook
    )
    with pytest.raises(rl.BookingOutcomeUnknown) as info:
        await client.bookings.create(REQUEST)

    closing = asyncio.create_task(client.aclose())
    await asyncio.sleep(0)
    assert not closing.done()  # waits for the hook
    release.set()
    await closing

    assert reported == [info.value]
    assert info.value.request is REQUEST


@pytest.mark.parametrize("hook_kind", ["sync", "async"])
async def test_a_failing_hook_does_not_replace_the_unknown_outcome(
    loopback: Callable[..., Awaitable[Loopback]],
    make_client: MakeClient,
    caplog: pytest.LogCaptureFixture,
    hook_kind: str,
) -> None:
    def broken_hook(_error: rl.OutcomeUnknownError) -> None:
        raise RuntimeError("pager is down")

    async def broken_async_hook(_error: rl.OutcomeUnknownError) -> None:
        await asyncio.sleep(0)
        raise RuntimeError("pager is down")

    server = await loopback(drop_after_send)  # the lead was sent, then the connection dropped
    client = make_client(
        base_url=server.url,
        on_outcome_unknown=broken_hook if hook_kind == "sync" else broken_async_hook,
    )

    with pytest.raises(rl.OutcomeUnknownError) as info:
        await client.leads.create(LEAD)
    await client.aclose()

    assert type(info.value) is rl.OutcomeUnknownError
    assert len(server.seen) == 1
    assert "on_outcome_unknown hook failed" in caplog.text
    assert "pager is down" in caplog.text


async def test_post_after_a_safe_retry_can_still_end_unknown(
    mocked: aioresponses, make_client: MakeClient
) -> None:
    hooked: list[rl.OutcomeUnknownError] = []
    client = make_client(on_outcome_unknown=hooked.append)
    mocked.post(
        url("/connect/calendar_bookings/"),
        callback=sequence(refused(), reply(503, envelope(503, "busy")), reply(502, body="")),
        repeat=True,
    )

    with pytest.raises(rl.BookingOutcomeUnknown) as info:
        await client.bookings.create(REQUEST)

    assert len(calls(mocked)) == 3
    assert info.value.status == 502
    assert hooked == [info.value]


# -- DELETE after an unknown attempt ------------------------------------------------------------


@pytest.mark.parametrize("first", ["504", "502", "read-timeout", "disconnect"])
async def test_delete_404_after_an_unknown_attempt_counts_as_deleted(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock, first: str
) -> None:
    client = make_client(retry=rl.RetryPolicy(attempt_timeout=1.0))
    path = "/connect/calendar_bookings/bk_9001"
    mocked.delete(url(path), **failure(clock, first))
    mocked.delete(url(path), status=404, payload=envelope(404, "Booking not found"))

    assert await client.bookings.delete("bk_9001") is None
    assert len(calls(mocked)) == 2


@pytest.mark.parametrize("first", [None, "refused", "500", "429"])
async def test_delete_404_without_an_unknown_attempt_is_not_found(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock, first: str | None
) -> None:
    """A 404 is "already deleted" only if an earlier attempt of this call may have deleted it:
    not after a connection that was never made, a 429, or a 500 (the server said it failed)."""
    client = make_client()
    path = "/connect/calendar_bookings/bk_9001"
    if first is not None:
        mocked.delete(url(path), **failure(clock, first))
    mocked.delete(url(path), status=404, payload=envelope(404, "Booking not found"))

    with pytest.raises(rl.NotFoundError):
        await client.bookings.delete("bk_9001")
    assert len(calls(mocked)) == (1 if first is None else 2)


async def test_get_404_after_an_unknown_attempt_is_still_not_found(
    mocked: aioresponses, make_client: MakeClient
) -> None:
    client = make_client()
    mocked.get(url("/connect/calendar/gone"), status=504, body="")
    mocked.get(url("/connect/calendar/gone"), status=404, payload=envelope(404, "not found"))

    with pytest.raises(rl.NotFoundError):
        await client.calendars.get("gone")


# -- Retry-After, backoff, budget -------------------------------------------------------------


def rate_limited(retry_after: str) -> dict[str, Any]:
    return {
        "status": 429,
        "payload": envelope(429, "Too Many Requests"),
        "headers": {"Retry-After": retry_after},
    }


async def test_retry_after_seconds_is_waited(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client()
    mocked.get(url("/connect/calendar/"), **rate_limited("3"))
    mocked.get(url("/connect/calendar/"), payload=[])

    assert await client.calendars.list() == []
    assert clock.sleeps == [3.0]


async def test_retry_after_on_503_is_waited_too(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client()
    mocked.get(
        url("/connect/calendar/"),
        status=503,
        payload=envelope(503, "maintenance"),
        headers={"Retry-After": "2"},
    )
    mocked.get(url("/connect/calendar/"), payload=[])

    assert await client.calendars.list() == []
    assert clock.sleeps == [2.0]


@pytest.mark.parametrize("retry", [3, "fast", {"max_attempts": 1}])
async def test_a_retry_that_is_not_a_policy_is_refused_before_sending(
    mocked: aioresponses, make_client: MakeClient, retry: Any
) -> None:
    client = make_client()

    with pytest.raises(TypeError, match="retry must be a RetryPolicy"):
        await client.calendars.list(retry=retry)
    with pytest.raises(TypeError, match="retry must be a RetryPolicy"):
        client.with_options(retry=retry)
    assert calls(mocked) == []


async def test_retry_after_http_date_is_waited(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client(timeout=60)
    when = datetime.now(timezone.utc) + timedelta(seconds=8)
    mocked.get(url("/connect/calendar/"), **rate_limited(email.utils.format_datetime(when, True)))
    mocked.get(url("/connect/calendar/"), payload=[])

    await client.calendars.list()

    (waited,) = clock.sleeps
    assert 5.0 < waited <= 8.0  # the date has whole seconds


async def test_retry_after_is_capped(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client(timeout=30, retry=rl.RetryPolicy(retry_after_cap=2.0))
    mocked.get(url("/connect/calendar/"), **rate_limited("120"))
    mocked.get(url("/connect/calendar/"), payload=[])

    await client.calendars.list()
    assert clock.sleeps == [2.0]


@pytest.mark.parametrize("target", ["GET", "POST booking"])
async def test_retry_after_beyond_the_budget_raises_at_once(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock, target: str
) -> None:
    client = make_client(timeout=10, retry=rl.RetryPolicy(retry_after_cap=60))
    method, path, call, _ = TARGETS[target]
    mocked.add(url(path), method, **rate_limited("30"))

    with pytest.raises(rl.RateLimitError) as info:
        await call(client)

    assert info.value.retry_after == 30.0
    assert clock.sleeps == []
    assert len(calls(mocked)) == 1


async def test_retry_after_beyond_what_is_left_of_the_budget(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client(timeout=10, retry=rl.RetryPolicy(attempt_timeout=4.0))
    mocked.get(url("/connect/calendar/"), **timing_out(clock))  # 4 s gone
    mocked.get(url("/connect/calendar/"), **rate_limited("7"))  # 7 s > ~6 s left

    with pytest.raises(rl.RateLimitError) as info:
        await client.calendars.list()

    assert info.value.retry_after == 7.0
    assert len(clock.sleeps) == 1  # only the backoff after the timeout
    assert clock.elapsed < 10


async def test_last_attempt_429_carries_retry_after(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client(timeout=60, retry=rl.RetryPolicy(max_attempts=2))
    mocked.get(url("/connect/calendar/"), repeat=True, **rate_limited("1.5"))

    with pytest.raises(rl.RateLimitError) as info:
        await client.calendars.list()

    assert info.value.retry_after == 1.5
    assert clock.sleeps == [1.5]
    assert len(calls(mocked)) == 2


async def test_exponential_backoff_without_jitter(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    policy = rl.RetryPolicy(max_attempts=6, initial_backoff=0.25, max_backoff=1.0, jitter=0)
    client = make_client(timeout=60, retry=policy)
    mocked.get(url("/connect/calendar/"), status=503, body="", repeat=True)

    with pytest.raises(rl.InternalServerError):
        await client.calendars.list()

    assert clock.sleeps == [0.25, 0.5, 1.0, 1.0, 1.0]
    assert len(calls(mocked)) == 6


async def test_zero_backoff_policy_retries_without_waiting(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client(retry=rl.RetryPolicy(initial_backoff=0))
    mocked.get(url("/connect/calendar/"), status=500, body="", repeat=True)

    with pytest.raises(rl.InternalServerError):
        await client.calendars.list()
    assert clock.sleeps == [0.0, 0.0]


async def test_backoff_that_would_use_up_the_budget_is_not_slept(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    policy = rl.RetryPolicy(max_attempts=10, initial_backoff=1.0, max_backoff=4.0, jitter=0)
    client = make_client(timeout=5, retry=policy)
    mocked.get(url("/connect/calendar/"), status=503, body="", repeat=True)

    with pytest.raises(rl.InternalServerError):
        await client.calendars.list()

    assert clock.sleeps == [1.0, 2.0]  # the next 4 s wait would not fit in the 2 s left
    assert sum(clock.sleeps) < 5
    assert len(calls(mocked)) == 3


async def test_attempt_timeouts_are_clamped_to_the_budget_then_deadline_exceeded(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    policy = rl.RetryPolicy(initial_backoff=0.5, jitter=0, attempt_timeout=2.0)
    client = make_client(timeout=4, retry=policy)
    mocked.get(url("/connect/calendar/"), **timing_out(clock), repeat=True)

    with pytest.raises(rl.DeadlineExceeded) as info:
        await client.calendars.list()

    limits = [kwargs["timeout"].total for _, _, kwargs in calls(mocked)]
    assert limits == [2.0, 1.5]  # the second attempt only gets what is left
    assert clock.sleeps == [0.5]
    assert clock.elapsed == pytest.approx(4.0)
    assert isinstance(info.value, rl.APITimeoutError)


async def test_per_call_timeout_is_the_whole_budget(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client(timeout=30)
    mocked.get(url("/connect/calendar/"), **timing_out(clock), repeat=True)

    with pytest.raises(rl.DeadlineExceeded, match=r"2\.5"):
        await client.calendars.list(timeout=2.5)

    assert [kwargs["timeout"].total for _, _, kwargs in calls(mocked)] == [2.5]
    assert clock.elapsed == pytest.approx(2.5)


@pytest.mark.parametrize("budget", [4.0, 5.0, 5.1, 12.75, 60.0])
async def test_attempt_deadline_is_never_rounded_up(
    mocked: aioresponses, make_client: MakeClient, budget: float
) -> None:
    """aiohttp rounds the deadline of a timeout >= ClientTimeout.ceil_threshold (5 s by default)
    up to the next whole second of loop time, so a 5.1 s budget could last 6 s. Every attempt's
    timeout must be exempt from that rounding."""
    client = make_client()
    mocked.get(url("/connect/calendar/"), payload=[])

    await client.calendars.list(timeout=budget)

    timeout = only_call(mocked)[2]["timeout"]
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
            st.floats(0, 6),
            st.sampled_from(["429", "500", "502", "503", "504", "timeout", "disconnect"]),
            st.none() | st.integers(0, 30).map(str),
        ),
        min_size=6,
        max_size=6,
    ),
)
def test_budget_and_attempts_are_never_exceeded(
    mocked: aioresponses,
    max_attempts: int,
    initial_backoff: float,
    max_backoff: float,
    jitter: float,
    cap: float,
    attempt_timeout: float | None,
    timeout: float,
    script: list[tuple[float, str, str | None]],
) -> None:
    policy = rl.RetryPolicy(
        max_attempts=max_attempts,
        initial_backoff=initial_backoff,
        max_backoff=max_backoff,
        jitter=jitter,
        retry_after_cap=cap,
        attempt_timeout=attempt_timeout,
    )
    clock = FakeClock()
    limits: list[float] = []
    pending = list(script)

    def server(_url: Any, **kwargs: Any) -> Any:
        took, kind, retry_after = pending.pop(0)
        limit = kwargs["timeout"].total
        limits.append(limit)
        if kind == "timeout" or took >= limit:
            clock.advance(limit)
            raise asyncio.TimeoutError
        clock.advance(took)
        if kind == "disconnect":
            raise aiohttp.ServerDisconnectedError
        headers = {"Retry-After": retry_after} if retry_after is not None else None
        return reply(int(kind), envelope(int(kind), "no"), headers=headers)

    async def scenario() -> BaseException:
        mocked.clear()
        mocked.get(url("/connect/calendar/"), callback=server, repeat=True)
        async with rl.RocketLeadClient(
            "rocketlead_live_x", retry=policy, clock=clock, sleep=clock.sleep
        ) as client:
            try:
                await client.calendars.list(timeout=timeout)
            except rl.RocketLeadError as error:
                return error
        raise AssertionError("every scripted answer is a failure")

    error = asyncio.run(scenario())

    assert isinstance(error, (rl.APIStatusError, rl.APIConnectionError))
    assert 1 <= len(limits) <= max_attempts
    assert len(clock.sleeps) == len(limits) - 1
    assert clock.elapsed <= timeout + 1e-9
    assert sum(clock.sleeps) < timeout
    assert all(0 < limit <= timeout + 1e-9 for limit in limits)
    assert all(delay >= 0 for delay in clock.sleeps)
    if attempt_timeout is not None:
        assert all(limit <= attempt_timeout for limit in limits)


# -- tenacity, cancellation -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "payload", "policy"),
    [
        (200, [], rl.RetryPolicy()),
        (400, envelope(400, "bad"), rl.RetryPolicy()),
        (503, envelope(503, "busy"), rl.NO_RETRY),
    ],
)
async def test_calls_that_need_no_retry_never_enter_tenacity(
    mocked: aioresponses,
    make_client: MakeClient,
    monkeypatch: pytest.MonkeyPatch,
    status: int,
    payload: Any,
    policy: rl.RetryPolicy,
) -> None:
    async def forbidden(*_args: Any, **_kwargs: Any) -> Any:
        raise AssertionError("entered the retry loop")

    monkeypatch.setattr("rocketlead_async._transport.retry_after_failure", forbidden)
    client = make_client(retry=policy)
    mocked.get(url("/connect/calendar/"), status=status, payload=payload)

    if status == 200:
        assert await client.calendars.list() == []
    else:
        with pytest.raises(rl.APIStatusError):
            await client.calendars.list()


async def _cancel_when(started: asyncio.Event, coro: Awaitable[Any]) -> BaseException:
    """Run ``coro`` in a task, cancel it once ``started`` is set; what escaped the SDK."""
    escaped: list[BaseException] = []

    async def run() -> None:
        try:
            await coro
        except BaseException as error:
            escaped.append(error)
            raise

    task = asyncio.create_task(run())
    await started.wait()
    task.cancel("caller hung up")
    with pytest.raises(asyncio.CancelledError):
        await task
    (error,) = escaped
    return error


async def test_cancelled_call_propagates_cancelled_error_unchanged(
    mocked: aioresponses, make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client()
    started = asyncio.Event()

    async def stuck(_url: Any, **_kwargs: Any) -> None:
        started.set()
        await asyncio.Event().wait()

    mocked.get(url("/connect/calendar/"), callback=stuck, repeat=True)

    error = await _cancel_when(started, client.calendars.list())

    assert type(error) is asyncio.CancelledError
    assert error.args == ("caller hung up",)
    assert len(calls(mocked)) == 1
    assert clock.sleeps == []


async def test_cancel_during_backoff_is_not_retried(mocked: aioresponses, clock: FakeClock) -> None:
    slept = asyncio.Event()

    async def slow_sleep(delay: float) -> None:
        slept.set()
        await asyncio.Event().wait()

    mocked.get(url("/connect/calendar/"), status=503, body="", repeat=True)
    async with rl.RocketLeadClient("rocketlead_live_x", clock=clock, sleep=slow_sleep) as client:
        error = await _cancel_when(slept, client.calendars.list())

    assert type(error) is asyncio.CancelledError
    assert len(calls(mocked)) == 1


async def test_cancel_inside_a_retried_attempt_propagates(
    mocked: aioresponses, make_client: MakeClient
) -> None:
    client = make_client()
    started = asyncio.Event()

    async def second_hangs(_url: Any, **_kwargs: Any) -> Any:
        if not started.is_set() and len(calls(mocked)) == 1:
            return reply(503, body="")
        started.set()
        await asyncio.Event().wait()

    mocked.get(url("/connect/calendar/"), callback=second_hangs, repeat=True)

    error = await _cancel_when(started, client.calendars.list())

    assert type(error) is asyncio.CancelledError
    assert error.args == ("caller hung up",)
    assert len(calls(mocked)) == 2


# -- loopback: what aiohttp really does on a socket ----------------------------------------------


@pytest.fixture(params=["sdk session", "user session"])
async def session(request: pytest.FixtureRequest) -> AsyncIterator[aiohttp.ClientSession | None]:
    """``None`` (the SDK makes its own session) or an aiohttp session the user supplies: the
    SDK knows whether a POST was sent from its body write, which works the same for both."""
    if request.param == "sdk session":
        yield None
        return
    async with aiohttp.ClientSession() as user_session:
        yield user_session


async def test_dropped_connection_after_send_get_is_retried(
    loopback: Callable[..., Awaitable[Loopback]], make_client: MakeClient
) -> None:
    server = await loopback(drop_after_send)
    client = make_client(base_url=server.url)

    with pytest.raises(rl.APIConnectionError) as info:
        await client.calendars.list()

    assert len(server.seen) == 3
    # A GET has no body whose write could be observed: the SDK does not claim to know.
    assert info.value.request_sent is None


async def answer_gets_hang_the_rest(request: web.Request) -> web.StreamResponse:
    if request.method == "GET":
        return web.json_response([])
    return await hang(request)


@pytest.mark.parametrize("kind", AFTER_SEND)
@pytest.mark.parametrize("target", POST_TARGETS)
async def test_retry_matrix_post_failing_after_send(
    loopback: Callable[..., Awaitable[Loopback]],
    make_client: MakeClient,
    clock: FakeClock,
    session: aiohttp.ClientSession | None,
    target: str,
    kind: str,
) -> None:
    """The retry matrix's POST rows for a read timeout and a dropped connection, on a real
    socket: the server read the whole request, then hung or hung up. The POST may have
    committed, so it is an unknown outcome, sent once and reported once."""
    hooked: list[rl.OutcomeUnknownError] = []
    server = await loopback(
        answer_gets_hang_the_rest if kind == "read-timeout" else drop_after_send
    )
    client = make_client(
        base_url=server.url,
        session=session,
        retry=rl.RetryPolicy(max_attempts=3, attempt_timeout=0.05 if kind == "read-timeout" else 5),
        on_outcome_unknown=hooked.append,
    )
    _, path, call, _ = TARGETS[target]
    expected, cause = POST_RESULT[kind]
    assert expected == UNKNOWN
    if kind == "read-timeout":
        # A first call opens the connection, so the short attempt timeout is all spent
        # waiting for the answer, not on connecting (which a loaded machine can make slow).
        assert await client.with_options(retry=rl.NO_RETRY).calendars.list() == []
        del server.seen[:]

    with pytest.raises(rl.OutcomeUnknownError) as info:
        await call(client)

    assert len(server.seen) == 1, "a POST that may have committed is never sent again"
    assert (server.seen[0].method, server.seen[0].raw_path) == ("POST", path)
    assert server.seen[0].body, "the body reached the server"
    assert clock.sleeps == []
    unknown_cls = rl.BookingOutcomeUnknown if target == "POST booking" else rl.OutcomeUnknownError
    assert type(info.value) is unknown_cls
    assert info.value.request is (REQUEST if target == "POST booking" else LEAD)
    assert (info.value.method, info.value.path) == ("POST", path)
    assert type(info.value.__cause__) is cause
    assert info.value.__cause__.request_sent is True  # its body was written
    assert hooked == [info.value]


async def test_refused_connection_post_is_retried_as_never_sent(
    make_client: MakeClient,
    clock: FakeClock,
    closed_port: int,
    session: aiohttp.ClientSession | None,
) -> None:
    hooked: list[rl.OutcomeUnknownError] = []
    client = make_client(
        base_url=f"http://127.0.0.1:{closed_port}",
        session=session,
        on_outcome_unknown=hooked.append,
    )

    with pytest.raises(rl.APIConnectionError) as info:
        await client.bookings.create(REQUEST)

    assert type(info.value) is rl.APIConnectionError
    assert info.value.request_sent is False
    assert len(clock.sleeps) == 2  # three attempts
    assert hooked == []


@pytest.mark.parametrize("hook_kind", ["sync", "async"])
async def test_cancelled_booking_post_reports_an_unknown_outcome(
    loopback: Callable[..., Awaitable[Loopback]],
    clock: FakeClock,
    session: aiohttp.ClientSession | None,
    hook_kind: str,
) -> None:
    """The caller hangs up after the server got the whole booking request: the hook hears of
    it (an async hook runs on; aclose() waits for it) and the CancelledError goes on."""
    hooked: list[rl.OutcomeUnknownError] = []
    arrived = asyncio.Event()

    async def async_hook(error: rl.OutcomeUnknownError) -> None:
        await asyncio.sleep(0)
        hooked.append(error)

    async def handler(request: web.Request) -> web.StreamResponse:
        arrived.set()  # the loopback fixture has read the whole request
        return await hang(request)

    server = await loopback(handler)
    client = rl.RocketLeadClient(
        "rocketlead_live_x",
        base_url=server.url,
        session=session,
        clock=clock,
        sleep=clock.sleep,
        on_outcome_unknown=hooked.append if hook_kind == "sync" else async_hook,
    )
    async with client:
        error = await _cancel_when(arrived, client.bookings.create(REQUEST))
    # aclose() waited for the async hook.

    assert type(error) is asyncio.CancelledError
    assert error.args == ("caller hung up",)
    (unknown,) = hooked
    assert type(unknown) is rl.BookingOutcomeUnknown
    assert unknown.request is REQUEST
    assert "cancelled" in unknown.reason
    assert len(server.seen) == 1


# -- a POST whose body was never written did not commit -----------------------------------------


async def test_post_that_timed_out_waiting_for_a_pooled_connection_is_retried(
    loopback: Callable[..., Awaitable[Loopback]],
    make_client: MakeClient,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The only pooled connection is held by a slow GET: the booking's first attempt times
    out waiting for it, before aiohttp wrote a byte of it. That is safe to repeat; the second
    attempt (once the GET is done) books, once, and nothing is reported as possibly booked."""
    caplog.set_level(logging.INFO, logger="rocketlead_async")
    held = Held()
    server = await loopback(held)
    hooked: list[rl.OutcomeUnknownError] = []

    async def sleep(delay: float) -> None:
        # The backoff is when the GET finishes and gives its connection back to the pool.
        held.release.set()
        await slow_get
        await clock.sleep(delay)

    client = make_client(
        base_url=server.url,
        max_connections=1,
        retry=rl.RetryPolicy(attempt_timeout=0.25),
        sleep=sleep,
        on_outcome_unknown=hooked.append,
    )
    try:
        slow_get = asyncio.create_task(client.with_options(retry=rl.NO_RETRY).calendars.list())
        await held.arrived.wait()

        booking = await client.bookings.create(REQUEST)
    finally:
        held.release.set()

    assert booking.id == "bk_9001"
    assert await slow_get == []
    assert [s.method for s in server.seen] == ["GET", "POST"]
    assert len(clock.sleeps) == 1
    assert hooked == []
    assert "retrying POST /connect/calendar_bookings/ after APITimeoutError" in caplog.text


@pytest.mark.parametrize(
    ("attr", "request_model"), [("bookings", REQUEST), ("leads", LEAD)], ids=["booking", "lead"]
)
async def test_post_whose_budget_ends_waiting_for_a_pooled_connection_is_not_unknown(
    loopback: Callable[..., Awaitable[Loopback]],
    make_client: MakeClient,
    clock: FakeClock,
    attr: str,
    request_model: Any,
) -> None:
    """The only pooled connection stays busy for the POST's whole budget: its body was never
    written, so it is a plain DeadlineExceeded, not an unknown outcome."""
    held = Held()
    server = await loopback(held)
    hooked: list[rl.OutcomeUnknownError] = []
    client = make_client(base_url=server.url, max_connections=1, on_outcome_unknown=hooked.append)
    try:
        slow_get = asyncio.create_task(client.calendars.list())
        await held.arrived.wait()

        with pytest.raises(rl.DeadlineExceeded) as info:
            await getattr(client, attr).create(request_model, timeout=0.05)
    finally:
        held.release.set()

    assert type(info.value) is rl.DeadlineExceeded
    assert info.value.request_sent is False
    assert info.value.method == "POST"
    assert hooked == []
    assert clock.sleeps == []  # no backoff fits in what is left of the budget
    assert await slow_get == []
    assert [s.method for s in server.seen] == ["GET"]


async def test_post_cancelled_while_waiting_for_a_pooled_connection_is_not_unknown(
    loopback: Callable[..., Awaitable[Loopback]], make_client: MakeClient
) -> None:
    """Cancelled while queued for a connection, a booking was never sent: the CancelledError
    goes on and the hook hears nothing. (A user session, so a trace can tell the test exactly
    when the request is queued.)"""
    held = Held()
    server = await loopback(held)
    hooked: list[rl.OutcomeUnknownError] = []
    queued = asyncio.Event()

    async def on_queued(*_args: Any) -> None:
        queued.set()

    trace = aiohttp.TraceConfig()
    trace.on_connection_queued_start.append(on_queued)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1), trace_configs=[trace]
    ) as session:
        client = make_client(base_url=server.url, session=session, on_outcome_unknown=hooked.append)
        try:
            slow_get = asyncio.create_task(client.calendars.list())
            await held.arrived.wait()
            assert not queued.is_set()

            error = await _cancel_when(queued, client.bookings.create(REQUEST))
        finally:
            held.release.set()
        assert await slow_get == []
        await client.aclose()

    assert type(error) is asyncio.CancelledError
    assert error.args == ("caller hung up",)
    assert hooked == []
    assert [s.method for s in server.seen] == ["GET"]


async def test_discarded_responses_are_released_before_the_next_attempt(
    loopback: Callable[..., Awaitable[Loopback]], make_client: MakeClient
) -> None:
    """With one pooled connection, a retry only gets through if the failed answer was
    released: otherwise the next attempt would wait for the pool until the budget ran out."""
    answers = [web.Response(status=503, text="busy"), web.Response(status=502, text="bad")]

    async def handler(_request: web.Request) -> web.StreamResponse:
        return answers.pop(0) if answers else web.json_response([{"id": "cal_berlin"}])

    server = await loopback(handler)
    client = make_client(base_url=server.url, max_connections=1, timeout=3)

    assert [c.id for c in await client.calendars.list()] == ["cal_berlin"]
    assert len(server.seen) == 3


# -- the policy itself ------------------------------------------------------------------------


def test_retry_policy_defaults_and_validation() -> None:
    policy = rl.RetryPolicy()
    assert (policy.max_attempts, policy.initial_backoff, policy.max_backoff) == (3, 0.25, 4.0)
    assert rl.NO_RETRY.max_attempts == 1
    for bad in (
        {"max_attempts": 0},
        {"max_attempts": True},
        {"initial_backoff": -1},
        {"max_backoff": math.inf},
        {"jitter": 1.5},
        {"retry_after_cap": math.nan},
        {"attempt_timeout": 0},
    ):
        with pytest.raises(ValueError, match="RetryPolicy"):
            rl.RetryPolicy(**bad)


def test_backoff_grows_caps_and_jitters_down() -> None:
    policy = rl.RetryPolicy(initial_backoff=0.25, max_backoff=4.0, jitter=0.5)
    assert [policy.backoff(n, rng=lambda: 0.0) for n in range(1, 8)] == [
        0.25,
        0.5,
        1.0,
        2.0,
        4.0,
        4.0,
        4.0,
    ]
    assert policy.backoff(3, rng=lambda: 1.0) == 0.5  # half of 1.0 drawn at random
    full = rl.RetryPolicy(jitter=1.0)
    assert full.backoff(1, rng=lambda: 1.0) == 0.0


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        (" 2.5 ", 2.5),
        ("0", 0.0),
        ("-5", 0.0),
        ("Wed, 21 Oct 2015 07:28:30 GMT", 30.0),
        ("Wed, 21 Oct 2015 07:27:00 GMT", 0.0),  # in the past
        ("soon", None),
        ("", None),
        (None, None),
        ("inf", None),
        ("nan", None),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    now = datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc).timestamp()
    assert parse_retry_after(value, now=lambda: now) == expected


def test_safety_predicates() -> None:
    def conn(sent: bool | None) -> rl.APIConnectionError:
        return rl.APIConnectionError("x", method="POST", path="/p", request_sent=sent)

    def status(code: int) -> rl.APIStatusError:
        return rl.APIStatusError("x", status=code, method="POST", path="/p")

    assert is_retryable("POST", conn(False))
    assert not is_retryable("POST", conn(None))
    assert not is_retryable("POST", conn(True))
    assert is_retryable("GET", conn(True))
    assert [
        c for c in (400, 404, 409, 429, 500, 502, 503, 504) if is_retryable("POST", status(c))
    ] == [429]  # a bare 503 may come from a proxy that forwarded the POST
    assert [c for c in (400, 404, 429, 500, 502, 503, 504) if is_retryable("PATCH", status(c))] == [
        429,
        500,
        502,
        503,
        504,
    ]
    assert not is_retryable("GET", ValueError())
    assert may_have_committed(conn(None))
    assert not may_have_committed(conn(False))
    assert [
        c for c in (200, 201, 400, 429, 500, 502, 503, 504) if may_have_committed(status(c))
    ] == [
        200,
        201,
        502,
        503,  # without the API's envelope or a Retry-After: a proxy may have forwarded it
        504,
    ]
