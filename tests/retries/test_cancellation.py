"""Cancelling the calling task at every await point of create, delete, availability.get and book.

Each point is reached deterministically, never by timing: the fake holds an answer (a latency
fault) until the test has seen the request arrive, an injected ``sleep=`` blocks until the test
cancels, an ``on_event`` hook blocks before a POST, and a one-connection pool held by another
request keeps a call from sending anything. After each cancellation: ``CancelledError``
propagates, no task is left behind, the one pooled connection came back (the client still
works), and the ``on_outcome_unknown`` hook was called once exactly when a booking POST had been
sent, never when nothing had.

At the lowest layer (a scripted loopback server) test_caller_hangs_up.py proves what a
cancelled ``bookings.create`` reports once its POST was sent, or while it waited for a pooled
connection; here the same cancellation points are walked for every operation against the fake,
with the leak and pool checks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead, Fault
from tests.helpers.clients import MakeClient
from tests.helpers.clock import BlockingSleep
from tests.helpers.demo import berlin, bookings_named, trainer_request
from tests.helpers.endpoints import ENDPOINT, booking_of
from tests.helpers.recorders import Unknowns, until
from tests.helpers.tasks import cancel, client_tasks

HOLD = 2.0  # seconds the fake holds an answer; the test cancels long before
NAME = "cancelled caller"
POST = ENDPOINT["bookings.create"].route
AVAILABILITY = ENDPOINT["availability.get"].route
CALENDARS = ENDPOINT["calendars.list"].route

Op = Callable[[rl.RocketLeadClient, FakeRocketLead], Awaitable[Any]]


def _endpoint(name: str) -> tuple[Op, str]:
    endpoint = ENDPOINT[name]
    return (lambda client, fake: endpoint.call(client, fake, NAME)), endpoint.route


def _book(client: rl.RocketLeadClient, fake: FakeRocketLead, **recovery: Any) -> Awaitable[Any]:
    return client.bookings.book(booking_of(fake, NAME), recovery=rl.SlotRecovery(**recovery))


OPS: dict[str, tuple[Op, str]] = {
    "create": _endpoint("bookings.create"),
    "delete": _endpoint("bookings.delete"),
    "availability.get": _endpoint("availability.get"),
    "book": (_book, POST),
}


def _start(call: Awaitable[Any]) -> asyncio.Task[Any]:
    """The call in a task of its own, as the caller a test cancels."""

    async def run() -> Any:
        return await call

    return asyncio.create_task(run())


async def _settle() -> None:
    for _ in range(10):
        await asyncio.sleep(0)


async def _still_usable(client: rl.RocketLeadClient, fake: FakeRocketLead) -> None:
    """No leaked task, and with a pool of one connection a fresh call still goes through: the
    cancelled call gave its connection back (or closed it)."""
    await _settle()
    assert client_tasks() == set()
    later = trainer_request(fake.demo, berlin(26, 14), "after the cancellation")
    booking = await client.bookings.create(later)
    await client.bookings.delete(booking.id)
    await OPS["availability.get"][0](client, fake)


# -- before anything is sent ----------------------------------------------------------------


# bookings.create is proven at the scripted layer (test_caller_hangs_up.py:
# test_post_cancelled_while_waiting_for_a_pooled_connection_is_not_unknown).
@pytest.mark.parametrize("op", ["delete", "availability.get", "book"])
async def test_cancel_before_send(
    op: str, fake: FakeRocketLead, make_fake_client: MakeClient, unknowns: Unknowns
) -> None:
    """The only pooled connection is busy: the call waits for it and is cancelled there."""
    call, route = OPS[op]
    client = make_fake_client(max_connections=1)
    fake.faults.add(CALENDARS, Fault.latency(HOLD))
    blocker = asyncio.create_task(client.calendars.list())
    await until(lambda: fake.request_count(CALENDARS) == 1, what="the blocking request")
    target = _start(call(client, fake))
    await _settle()
    await cancel(target)
    await cancel(blocker)
    assert fake.request_count(route) == 0
    assert unknowns == []  # nothing was sent: nothing to report
    assert bookings_named(fake, NAME) == []
    await _still_usable(client, fake)


async def test_cancel_book_in_the_attempt_event_before_the_first_post(
    fake: FakeRocketLead, make_fake_client: MakeClient, unknowns: Unknowns
) -> None:
    client = make_fake_client(max_connections=1)
    entered, release = asyncio.Event(), asyncio.Event()

    async def on_event(event: rl.RecoveryEvent) -> None:
        if event.kind is rl.RecoveryEventKind.ATTEMPT:
            entered.set()
            await release.wait()

    target = _start(_book(client, fake, on_event=on_event))
    await entered.wait()
    await cancel(target)
    assert fake.request_count() == 0
    assert unknowns == []
    await _still_usable(client, fake)


# -- while waiting for the answer --------------------------------------------------------------


async def test_cancel_book_after_its_post_was_sent_is_reported(
    fake: FakeRocketLead, make_fake_client: MakeClient, unknowns: Unknowns
) -> None:
    """The fake committed the booking and holds the answer; the caller of ``book`` is
    cancelled. The booking may exist, so the hook hears of it exactly once, and the POST is
    never repeated. (The same for ``create``, sync and async hooks, on a scripted server:
    test_caller_hangs_up.py: test_cancelled_booking_post_reports_an_unknown_outcome.)"""
    client = make_fake_client(max_connections=1)
    fake.faults.add(POST, Fault.latency(HOLD, commit=True))
    target = _start(_book(client, fake))
    await until(lambda: len(bookings_named(fake, NAME)) == 1, what="the commit")
    await cancel(target)
    (unknown,) = unknowns
    assert type(unknown) is rl.BookingOutcomeUnknown
    assert unknown.request == booking_of(fake, NAME)
    assert "cancelled" in str(unknown)
    assert fake.request_count(POST) == 1  # never repeated
    assert len(bookings_named(fake, NAME)) == 1
    await _still_usable(client, fake)
    assert len(unknowns) == 1


@pytest.mark.parametrize("op", ["delete", "availability.get"])
async def test_cancel_while_waiting_for_the_answer(
    op: str, fake: FakeRocketLead, make_fake_client: MakeClient, unknowns: Unknowns
) -> None:
    call, route = OPS[op]
    client = make_fake_client(max_connections=1)
    fake.faults.add(route, Fault.latency(HOLD, commit=True))
    target = _start(call(client, fake))
    await until(lambda: fake.request_count(route) == 1, what="the request")
    await cancel(target)
    assert unknowns == []  # only POSTs have outcomes to report
    assert fake.request_count(route) == 1
    await _still_usable(client, fake)


# -- during a backoff sleep ------------------------------------------------------------------


@pytest.mark.parametrize("op", OPS)
async def test_cancel_during_backoff(
    op: str, fake: FakeRocketLead, make_fake_client: MakeClient, unknowns: Unknowns
) -> None:
    """A 503 (not committed, safe to repeat for every method) and the backoff sleep blocks."""
    call, route = OPS[op]
    sleep = BlockingSleep()
    client = make_fake_client(max_connections=1, sleep=sleep)
    fake.faults.add(route, Fault.status(503))
    target = _start(call(client, fake))
    await sleep.entered.wait()
    await cancel(target)
    assert fake.request_count(route) == 1
    assert unknowns == []  # the 503 said the POST did not commit; nothing is in flight
    assert bookings_named(fake, NAME) == []
    sleep.release.set()
    await _still_usable(client, fake)


# -- during slot-race recovery -----------------------------------------------------------------


async def test_cancel_book_while_the_recovery_refetch_waits(
    fake: FakeRocketLead, make_fake_client: MakeClient, unknowns: Unknowns
) -> None:
    client = make_fake_client(max_connections=1)
    fake.race_next_bookings(1)
    fake.faults.add(AVAILABILITY, Fault.latency(HOLD))
    target = _start(_book(client, fake))
    await until(lambda: fake.request_count(AVAILABILITY) == 1, what="the refetch")
    await cancel(target)
    assert fake.request_count(POST) == 1
    assert unknowns == []  # the only POST was answered: slot taken
    assert bookings_named(fake, NAME) == []
    await _still_usable(client, fake)


async def test_cancel_book_during_the_refetch_backoff(
    fake: FakeRocketLead, make_fake_client: MakeClient, unknowns: Unknowns
) -> None:
    sleep = BlockingSleep()
    client = make_fake_client(max_connections=1, sleep=sleep)
    fake.race_next_bookings(1)
    fake.faults.add(AVAILABILITY, Fault.status(503))
    target = _start(_book(client, fake))
    await sleep.entered.wait()
    await cancel(target)
    assert (fake.request_count(POST), fake.request_count(AVAILABILITY)) == (1, 1)
    assert unknowns == []
    sleep.release.set()
    await _still_usable(client, fake)


async def test_cancel_book_in_the_picked_event_before_the_second_post(
    fake: FakeRocketLead, make_fake_client: MakeClient, unknowns: Unknowns
) -> None:
    client = make_fake_client(max_connections=1)
    fake.race_next_bookings(1)
    entered, release = asyncio.Event(), asyncio.Event()

    async def on_event(event: rl.RecoveryEvent) -> None:
        if event.kind is rl.RecoveryEventKind.PICKED:
            entered.set()
            await release.wait()

    target = _start(_book(client, fake, on_event=on_event))
    await entered.wait()
    await cancel(target)
    assert (fake.request_count(POST), fake.request_count(AVAILABILITY)) == (1, 1)
    assert unknowns == []
    await _still_usable(client, fake)


async def test_cancel_book_while_the_second_post_waits_is_reported(
    fake: FakeRocketLead, make_fake_client: MakeClient, unknowns: Unknowns
) -> None:
    """The alternative's POST committed and its answer is held: the report carries the
    alternative's request, not the original one."""
    client = make_fake_client(max_connections=1)
    fake.race_next_bookings(1)
    fake.faults.add(POST, Fault.latency(0))  # the first POST: as usual (slot taken)
    fake.faults.add(POST, Fault.latency(HOLD, commit=True))
    original = booking_of(fake, NAME)
    target = _start(client.bookings.book(original))
    await until(lambda: len(bookings_named(fake, NAME)) == 1, what="the second commit")
    await cancel(target)
    (unknown,) = unknowns
    assert type(unknown) is rl.BookingOutcomeUnknown
    assert "cancelled" in str(unknown)
    assert unknown.request.name == NAME
    assert unknown.request != original
    (held,) = bookings_named(fake, NAME)
    assert fake.state.bookings[held].start == unknown.request.start
    assert fake.request_count(POST) == 2
    await _still_usable(client, fake)
