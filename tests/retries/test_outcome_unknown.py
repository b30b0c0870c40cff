"""An outcome the SDK cannot know: the ``on_outcome_unknown`` hook hears of it exactly once
(an async hook on its own, waited for by ``aclose()``), a failing hook hides nothing, a DELETE
whose earlier attempt may have deleted counts a 404 as done, and a POST whose body was never
written (queued for a pooled connection) is not unknown."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from aioresponses import aioresponses

import rocketlead_async as rl
from tests.helpers.bodies import envelope
from tests.helpers.clients import MakeClient
from tests.helpers.clock import FakeClock
from tests.helpers.fixtures.core import StartServer
from tests.helpers.handlers import Held, drop_after_send
from tests.helpers.intercept import intercepted, refused
from tests.helpers.recorders import Unknowns, until
from tests.helpers.retries import BOOKINGS, CALENDARS, LEAD, REQUEST, fail
from tests.helpers.scripted import ScriptedServer

BOOKING = "/connect/calendar_bookings/bk_9001"


@pytest.mark.parametrize("hook_kind", ["sync", "async"])
async def test_outcome_unknown_hook_is_called_exactly_once(
    server: ScriptedServer,
    make_client: MakeClient,
    hook_kind: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    hooked = Unknowns(is_async=hook_kind == "async")
    client = make_client(base_url=server.url, on_outcome_unknown=hooked)
    server.post(BOOKINGS, status=504, body="upstream timed out")

    with pytest.raises(rl.BookingOutcomeUnknown) as info:
        await client.bookings.create(REQUEST)
    await client.aclose()  # an async hook runs as a task of its own; aclose() waits for it

    assert hooked == [info.value]
    assert "not repeated, reported to on_outcome_unknown" in caplog.text
    assert info.value.request is REQUEST
    assert info.value.status == 504
    assert isinstance(info.value, rl.OutcomeUnknownError)
    assert len(server.requests) == 1


async def test_an_unknown_booking_from_create_carries_its_one_post(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    """The history a BookingOutcomeUnknown documents, from create() too: this POST, with the
    failure that left it unknown, already when the hook sees the error."""
    seen: list[tuple[rl.Attempt, ...]] = []
    client = make_client(base_url=server.url, on_outcome_unknown=lambda e: seen.append(e.attempts))
    server.post(BOOKINGS, status=504, body="upstream timed out")

    with pytest.raises(rl.BookingOutcomeUnknown) as info:
        await client.bookings.create(REQUEST)

    (attempt,) = info.value.attempts
    assert seen == [info.value.attempts]
    assert attempt.request is REQUEST
    assert attempt.error is info.value.__cause__
    assert isinstance(attempt.error, rl.InternalServerError)


async def test_without_a_hook_the_unknown_outcome_is_still_raised(
    server: ScriptedServer, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(base_url=server.url, on_outcome_unknown=None)
    server.post(BOOKINGS, status=504, body="upstream timed out")

    with pytest.raises(rl.BookingOutcomeUnknown) as info:
        await client.bookings.create(REQUEST)

    assert info.value.request is REQUEST
    assert len(server.requests) == 1
    # The log must not claim that someone was told.
    (line,) = [r.getMessage() for r in caplog.records if "outcome unknown" in r.getMessage()]
    assert line.endswith("not repeated, no on_outcome_unknown hook is set")


async def test_a_slow_async_hook_neither_holds_up_the_call_nor_is_cut_off(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    """The hook may be paging a human about a booking that exists: the caller gets its error
    at once, well inside ``timeout`` (the hook's time is its own), and the hook is never cut
    off: aclose() waits for it."""
    release = asyncio.Event()
    reported: list[rl.OutcomeUnknownError] = []

    async def slow_hook(error: rl.OutcomeUnknownError) -> None:
        await release.wait()
        reported.append(error)

    server.post(BOOKINGS, status=504, body="Gateway Timeout")
    client = make_client(base_url=server.url, on_outcome_unknown=slow_hook)
    call = asyncio.create_task(client.bookings.create(REQUEST, timeout=0.5))
    try:
        await until(call.done, what="the call's end while its hook still runs", limit=5)
    except AssertionError:
        release.set()  # else the client's teardown would wait for the hook forever
        raise
    assert reported == []  # the hook still runs
    with pytest.raises(rl.BookingOutcomeUnknown) as info:
        await call

    closing = asyncio.create_task(client.aclose())
    await asyncio.sleep(0)
    assert not closing.done()  # waits for the hook
    release.set()
    await closing

    assert reported == [info.value]
    assert info.value.request is REQUEST


@pytest.mark.parametrize("hook_kind", ["sync", "async"])
async def test_a_failing_hook_does_not_replace_the_unknown_outcome(
    loopback: StartServer,
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
    assert len(server.requests) == 1
    assert "on_outcome_unknown hook failed" in caplog.text
    assert "pager is down" in caplog.text


async def test_post_after_a_safe_retry_can_still_end_unknown(
    server: ScriptedServer, intercept: aioresponses, client: rl.RocketLeadClient, unknowns: Unknowns
) -> None:
    intercept.post(server.url + BOOKINGS, exception=refused())
    server.post(BOOKINGS, status=503, payload=envelope(503, "busy"))
    server.post(BOOKINGS, status=502, body="")

    with pytest.raises(rl.BookingOutcomeUnknown) as info:
        await client.bookings.create(REQUEST)

    assert len(intercepted(intercept)) == 3
    assert len(server.requests) == 2
    assert info.value.status == 502
    assert unknowns == [info.value]


# -- DELETE after an unknown attempt ----------------------------------------------------------


@pytest.mark.parametrize("first", ["504", "502", "read-timeout", "disconnect"])
async def test_delete_404_after_an_unknown_attempt_counts_as_deleted(
    server: ScriptedServer,
    intercept: aioresponses,
    make_client: MakeClient,
    clock: FakeClock,
    first: str,
) -> None:
    client = make_client(base_url=server.url, retry=rl.RetryPolicy(attempt_timeout=1.0))
    fail(server, intercept, clock, "DELETE", BOOKING, first)
    server.delete(BOOKING, status=404, payload=envelope(404, "Booking not found"))

    await client.bookings.delete("bk_9001")  # deleted: no NotFoundError
    assert len(intercepted(intercept)) == 2


@pytest.mark.parametrize("first", [None, "refused", "500", "429"])
async def test_delete_404_without_an_unknown_attempt_is_not_found(
    server: ScriptedServer,
    intercept: aioresponses,
    client: rl.RocketLeadClient,
    clock: FakeClock,
    first: str | None,
) -> None:
    """A 404 is "already deleted" only if an earlier attempt of this call may have deleted it:
    not after a connection that was never made, a 429, or a 500 (the server said it failed)."""
    if first is not None:
        fail(server, intercept, clock, "DELETE", BOOKING, first)
    server.delete(BOOKING, status=404, payload=envelope(404, "Booking not found"))

    with pytest.raises(rl.NotFoundError):
        await client.bookings.delete("bk_9001")
    assert len(intercepted(intercept)) == (1 if first is None else 2)


async def test_get_404_after_an_unknown_attempt_is_still_not_found(
    server: ScriptedServer, client: rl.RocketLeadClient
) -> None:
    server.get("/connect/calendar/gone", status=504, body="")
    server.get("/connect/calendar/gone", status=404, payload=envelope(404, "not found"))

    with pytest.raises(rl.NotFoundError):
        await client.calendars.get("gone")
    assert len(server.requests) == 2


# -- a POST whose body was never written did not commit -----------------------------------------


async def test_post_that_timed_out_waiting_for_a_pooled_connection_is_retried(
    loopback: StartServer,
    make_client: MakeClient,
    clock: FakeClock,
    unknowns: Unknowns,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The only pooled connection is held by a slow GET: the booking's first attempt times
    out waiting for it, before aiohttp wrote a byte of it. That is safe to repeat; the second
    attempt (once the GET is done) books, once, and nothing is reported as possibly booked."""
    caplog.set_level(logging.INFO, logger="rocketlead_async")
    held = Held()
    server = await loopback(held)

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
    )
    try:
        slow_get = asyncio.create_task(client.with_options(retry=rl.NO_RETRY).calendars.list())
        await held.arrived.wait()

        booking = await client.bookings.create(REQUEST)
    finally:
        held.release.set()

    assert booking.id == "bk_9001"
    assert await slow_get == []
    assert [seen.method for seen in server.requests] == ["GET", "POST"]
    assert len(clock.sleeps) == 1
    assert unknowns == []
    assert "retrying POST /connect/calendar_bookings/ after APITimeoutError" in caplog.text


@pytest.mark.parametrize(
    ("attr", "request_model"), [("bookings", REQUEST), ("leads", LEAD)], ids=["booking", "lead"]
)
async def test_post_whose_budget_ends_waiting_for_a_pooled_connection_is_not_unknown(
    loopback: StartServer,
    make_client: MakeClient,
    clock: FakeClock,
    unknowns: Unknowns,
    attr: str,
    request_model: Any,
) -> None:
    """The only pooled connection stays busy for the POST's whole budget: its body was never
    written, so it is a plain DeadlineExceeded, not an unknown outcome."""
    held = Held()
    server = await loopback(held)
    client = make_client(base_url=server.url, max_connections=1)
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
    assert unknowns == []
    assert clock.sleeps == []  # no backoff fits in what is left of the budget
    assert await slow_get == []
    assert [seen.method for seen in server.requests] == ["GET"]


async def test_discarded_responses_are_released_before_the_next_attempt(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    """With one pooled connection, a retry only gets through if the failed answer was
    released: otherwise the next attempt would wait for the pool until the budget ran out."""
    server.get(CALENDARS, status=503, body="busy")
    server.get(CALENDARS, status=502, body="bad")
    server.get(CALENDARS, payload=[{"id": "cal_berlin"}])
    client = make_client(base_url=server.url, max_connections=1, timeout=3)

    assert [c.id for c in await client.calendars.list()] == ["cal_berlin"]
    assert len(server.requests) == 3
