"""Cancelling the calling task at every await point of create, delete, availability.get and book.

Each point is reached deterministically, never by timing: the fake holds an answer (a latency
fault) until the test has seen the request arrive, an injected ``sleep=`` blocks until the test
cancels, an ``on_event`` hook blocks before a POST, and a one-connection pool held by another
request keeps a call from sending anything. After each cancellation: ``CancelledError``
propagates, no task is left behind, the one pooled connection came back (the client still
works), and the ``on_outcome_unknown`` hook was called once exactly when a booking POST had been
sent, never when nothing had.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import pytest

import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead, Fault

from ._support import (
    BlockingSleep,
    Hook,
    booking_request,
    bookings_named,
    client_tasks,
    demo_zone,
    until,
)
from .conftest import MakeClient

HOLD = 2.0  # seconds the fake holds an answer; the test cancels long before
POST = "POST /connect/calendar_bookings/"
DELETE = "DELETE /connect/calendar_bookings/{id}"
AVAILABILITY = "GET /connect/availability/"
CALENDARS = "GET /connect/calendar/"

Op = Callable[[rl.RocketLeadClient, FakeRocketLead], Awaitable[Any]]


def _create(client: rl.RocketLeadClient, fake: FakeRocketLead) -> Awaitable[Any]:
    return client.bookings.create(booking_request(fake, "cancelled caller"))


def _delete(client: rl.RocketLeadClient, fake: FakeRocketLead) -> Awaitable[Any]:
    return client.bookings.delete(fake.demo.booking_ids[3])


def _availability(client: rl.RocketLeadClient, fake: FakeRocketLead) -> Awaitable[Any]:
    start = datetime(2027, 3, 24, 9, 0, tzinfo=demo_zone(fake))
    return client.availability.get(
        calendar_id=fake.demo.mitte_calendar_id,
        appointment_type_id=fake.demo.personal_training_type_id,
        start=start,
        end=start + timedelta(hours=3),
    )


def _book(client: rl.RocketLeadClient, fake: FakeRocketLead, **recovery: Any) -> Awaitable[Any]:
    return client.bookings.book(
        booking_request(fake, "cancelled caller"), recovery=rl.SlotRecovery(**recovery)
    )


OPS: dict[str, tuple[Op, str]] = {
    "create": (_create, POST),
    "delete": (_delete, DELETE),
    "availability.get": (_availability, AVAILABILITY),
    "book": (_book, POST),
}


async def _cancel(task: asyncio.Task[Any]) -> None:
    """Cancel ``task`` and check that CancelledError is what its caller sees."""
    assert not task.done(), "the call finished before the test could cancel it"
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert task.cancelled()


async def _settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def _still_usable(client: rl.RocketLeadClient, fake: FakeRocketLead) -> None:
    """No leaked task, and with a pool of one connection a fresh call still goes through: the
    cancelled call gave its connection back (or closed it)."""
    await _settle()
    assert client_tasks() == set()
    start = datetime(2027, 3, 26, 14, 0, tzinfo=demo_zone(fake))
    booking = await client.bookings.create(
        booking_request(
            fake, "after the cancellation", start=start, end=start + timedelta(hours=1)
        ),
        timeout=2.0,
    )
    await client.bookings.delete(booking.id, timeout=2.0)
    await _availability(client, fake)


def _assert_reported(hook: Hook, request_name: str) -> rl.OutcomeUnknownError:
    assert len(hook.calls) == 1, hook.calls
    (unknown,) = hook.calls
    assert type(unknown) is rl.BookingOutcomeUnknown
    assert unknown.request.name == request_name
    assert "cancelled" in str(unknown)
    return unknown


# -- before anything is sent ----------------------------------------------------------------


@pytest.mark.parametrize("op", OPS)
async def test_cancel_before_send(
    op: str, fake: FakeRocketLead, make_client: MakeClient, hook: Hook
) -> None:
    """The only pooled connection is busy: the call waits for it and is cancelled there."""
    call, route = OPS[op]
    client = make_client(max_connections=1)
    fake.faults.add(CALENDARS, Fault.latency(HOLD))
    blocker = asyncio.create_task(client.calendars.list())
    await until(lambda: fake.request_count(CALENDARS) == 1, what="the blocking request")
    target = asyncio.create_task(call(client, fake))
    await _settle()
    await _cancel(target)
    await _cancel(blocker)
    assert fake.request_count(route) == 0
    assert hook.calls == []  # nothing was sent: nothing to report
    assert bookings_named(fake, "cancelled caller") == 0
    await _still_usable(client, fake)


async def test_cancel_book_in_the_attempt_event_before_the_first_post(
    fake: FakeRocketLead, make_client: MakeClient, hook: Hook
) -> None:
    client = make_client(max_connections=1)
    entered, release = asyncio.Event(), asyncio.Event()

    async def on_event(event: rl.RecoveryEvent) -> None:
        if event.kind is rl.RecoveryEventKind.ATTEMPT:
            entered.set()
            await release.wait()

    target = asyncio.create_task(_book(client, fake, on_event=on_event))
    await entered.wait()
    await _cancel(target)
    assert fake.request_count() == 0
    assert hook.calls == []
    await _still_usable(client, fake)


# -- while waiting for the answer --------------------------------------------------------------


@pytest.mark.parametrize("hook_kind", ["sync hook", "async hook"])
@pytest.mark.parametrize("op", ["create", "book"])
async def test_cancel_booking_post_after_it_was_sent_is_reported(
    op: str, hook_kind: str, fake: FakeRocketLead, make_client: MakeClient
) -> None:
    """The fake committed the booking and holds the answer; the caller is cancelled. The
    booking may exist, so the hook hears of it exactly once (an async hook runs in a task of its
    own that aclose() waits for)."""
    hook = Hook(is_async=hook_kind == "async hook")
    client = make_client(max_connections=1, on_outcome_unknown=hook)
    fake.faults.add(POST, Fault.latency(HOLD, commit=True))
    target = asyncio.create_task(OPS[op][0](client, fake))
    await until(lambda: bookings_named(fake, "cancelled caller") == 1, what="the commit")
    await _cancel(target)
    if hook.is_async:
        await client.aclose()  # waits for the hook's task
    unknown = _assert_reported(hook, "cancelled caller")
    assert unknown.request == booking_request(fake, "cancelled caller")
    assert fake.request_count(POST) == 1  # never repeated
    assert bookings_named(fake, "cancelled caller") == 1
    if hook.is_async:
        assert client_tasks() == set()
        client = make_client(max_connections=1)
    await _still_usable(client, fake)
    assert len(hook.calls) == 1


@pytest.mark.parametrize("op", ["delete", "availability.get"])
async def test_cancel_while_waiting_for_the_answer(
    op: str, fake: FakeRocketLead, make_client: MakeClient, hook: Hook
) -> None:
    call, route = OPS[op]
    client = make_client(max_connections=1)
    fake.faults.add(route, Fault.latency(HOLD, commit=True))
    target = asyncio.create_task(call(client, fake))
    await until(lambda: fake.request_count(route) == 1, what="the request")
    await _cancel(target)
    assert hook.calls == []  # only POSTs have outcomes to report
    assert fake.request_count(route) == 1
    await _still_usable(client, fake)


# -- during a backoff sleep ------------------------------------------------------------------


@pytest.mark.parametrize("op", OPS)
async def test_cancel_during_backoff(
    op: str, fake: FakeRocketLead, make_client: MakeClient, hook: Hook
) -> None:
    """A 503 (not committed, safe to repeat for every method) and the backoff sleep blocks."""
    call, route = OPS[op]
    sleep = BlockingSleep()
    client = make_client(max_connections=1, sleep=sleep)
    fake.faults.add(route, Fault.status(503))
    target = asyncio.create_task(call(client, fake))
    await sleep.entered.wait()
    await _cancel(target)
    assert fake.request_count(route) == 1
    assert hook.calls == []  # the 503 said the POST did not commit; nothing is in flight
    assert bookings_named(fake, "cancelled caller") == 0
    sleep.release.set()
    await _still_usable(client, fake)


# -- during slot-race recovery -----------------------------------------------------------------


async def test_cancel_book_while_the_recovery_refetch_waits(
    fake: FakeRocketLead, make_client: MakeClient, hook: Hook
) -> None:
    client = make_client(max_connections=1)
    fake.race_next_bookings(1)
    fake.faults.add(AVAILABILITY, Fault.latency(HOLD))
    target = asyncio.create_task(_book(client, fake))
    await until(lambda: fake.request_count(AVAILABILITY) == 1, what="the refetch")
    await _cancel(target)
    assert fake.request_count(POST) == 1
    assert hook.calls == []  # the only POST was answered: slot taken
    assert bookings_named(fake, "cancelled caller") == 0
    await _still_usable(client, fake)


async def test_cancel_book_during_the_refetch_backoff(
    fake: FakeRocketLead, make_client: MakeClient, hook: Hook
) -> None:
    sleep = BlockingSleep()
    client = make_client(max_connections=1, sleep=sleep)
    fake.race_next_bookings(1)
    fake.faults.add(AVAILABILITY, Fault.status(503))
    target = asyncio.create_task(_book(client, fake))
    await sleep.entered.wait()
    await _cancel(target)
    assert (fake.request_count(POST), fake.request_count(AVAILABILITY)) == (1, 1)
    assert hook.calls == []
    sleep.release.set()
    await _still_usable(client, fake)


async def test_cancel_book_in_the_picked_event_before_the_second_post(
    fake: FakeRocketLead, make_client: MakeClient, hook: Hook
) -> None:
    client = make_client(max_connections=1)
    fake.race_next_bookings(1)
    entered, release = asyncio.Event(), asyncio.Event()

    async def on_event(event: rl.RecoveryEvent) -> None:
        if event.kind is rl.RecoveryEventKind.PICKED:
            entered.set()
            await release.wait()

    target = asyncio.create_task(_book(client, fake, on_event=on_event))
    await entered.wait()
    await _cancel(target)
    assert (fake.request_count(POST), fake.request_count(AVAILABILITY)) == (1, 1)
    assert hook.calls == []
    await _still_usable(client, fake)


async def test_cancel_book_while_the_second_post_waits_is_reported(
    fake: FakeRocketLead, make_client: MakeClient, hook: Hook
) -> None:
    """The alternative's POST committed and its answer is held: the report carries the
    alternative's request, not the original one."""
    client = make_client(max_connections=1)
    fake.race_next_bookings(1)
    fake.faults.add(POST, Fault.latency(0))  # the first POST: as usual (slot taken)
    fake.faults.add(POST, Fault.latency(HOLD, commit=True))
    original = booking_request(fake, "cancelled caller")
    target = asyncio.create_task(client.bookings.book(original))
    await until(lambda: bookings_named(fake, "cancelled caller") == 1, what="the second commit")
    await _cancel(target)
    unknown = _assert_reported(hook, "cancelled caller")
    assert unknown.request != original
    held = [b for b in fake.state.bookings.values() if b.name == "cancelled caller"]
    assert len(held) == 1
    assert held[0].start == unknown.request.start
    assert fake.request_count(POST) == 2
    await _still_usable(client, fake)


# -- an async hook interrupted by the caller's cancellation -------------------------------------


async def test_async_hook_outlives_the_call_and_its_cancellation(
    fake: FakeRocketLead, make_client: MakeClient
) -> None:
    """A 502 answered the booking POST, so the outcome is unknown. The async hook runs as a
    task of its own: the caller gets BookingOutcomeUnknown at once, a caller cancelled
    meanwhile cannot cut the hook off, and aclose() waits for it: the unknown booking is never
    forgotten."""
    entered, release = asyncio.Event(), asyncio.Event()
    reported: list[rl.OutcomeUnknownError] = []

    async def on_outcome_unknown(error: rl.OutcomeUnknownError) -> None:
        entered.set()
        await release.wait()
        reported.append(error)

    client = make_client(max_connections=1, on_outcome_unknown=on_outcome_unknown)
    fake.faults.add(POST, Fault.status(502))
    target = asyncio.create_task(_create(client, fake))
    await entered.wait()
    assert target.done()  # the hook holds up nothing
    with pytest.raises(rl.BookingOutcomeUnknown):
        await target
    closing = asyncio.create_task(client.aclose())
    await _settle()
    assert not closing.done()
    release.set()
    await closing
    assert len(reported) == 1
    assert type(reported[0]) is rl.BookingOutcomeUnknown
    assert fake.request_count(POST) == 1
