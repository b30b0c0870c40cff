"""A booking is never orphaned: cancelling create()/book() at every await point.

After each cancellation the accounting is exact: the bookings the server holds for the caller
are those returned, delivered late (``on_late_outcome``) or reported unknown
(``on_outcome_unknown``), each once, never to both hooks, and no POST follows a cancellation.
Answers are held by the fake's small injected latency (``HOLD``) so a POST is in flight when
the test cancels; nothing else waits for real time.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import attrs
import pytest
from tests.reliability._support import BlockingSleep, until

import rocketlead_async as rl
from rocketlead_async.testing import DemoOrg, FakeRocketLead, Fault

from ._support import AVAILABILITY, BOOKINGS, bookings_named, trainer_request

Kind = rl.RecoveryEventKind
HOLD = 0.05  # seconds the fake holds a booking answer: long enough to cancel mid-flight


@attrs.define
class Told:
    """Everything the client's two hooks heard."""

    late: list[rl.LateOutcome] = attrs.field(factory=list)
    unknown: list[rl.OutcomeUnknownError] = attrs.field(factory=list)

    def booked(self) -> list[str]:
        """Ids of the bookings delivered late."""
        return [o.booking.id for o in self.late if o.booking is not None]


@pytest.fixture
def told() -> Told:
    return Told()


@pytest.fixture
async def late_client(fake: FakeRocketLead, told: Told) -> AsyncIterator[rl.RocketLeadClient]:
    """A real-clock client with both hooks (a late answer must be read in real time)."""
    async with rl.RocketLeadClient(
        fake.tokens.write,
        base_url=fake.url,
        on_late_outcome=told.late.append,
        on_outcome_unknown=told.unknown.append,
    ) as made:
        yield made


async def cancel(call: asyncio.Future[Any]) -> float:
    """Cancel ``call``; check the caller sees CancelledError at once. Returns when it was."""
    assert not call.done(), "the call finished before the test could cancel it"
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    return time.monotonic()


def held(fake: FakeRocketLead, name: str = "Caller") -> list[str]:
    return bookings_named(fake, name)


# -- create() ---------------------------------------------------------------------------------


async def test_create_cancelled_in_flight_delivers_the_booking_late(
    late_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg, told: Told
) -> None:
    request = trainer_request(demo)
    fake.faults.add(BOOKINGS, Fault.latency(HOLD))
    call = asyncio.ensure_future(late_client.bookings.create(request))
    await until(lambda: fake.request_count(BOOKINGS) == 1, what="the POST")
    await cancel(call)
    assert told.late == []  # the answer is still on its way
    await late_client.aclose()  # waits for it
    (late,) = told.late
    assert late.request is request
    assert late.error is None
    assert late.booking is not None
    assert held(fake) == [late.booking.id]
    assert [a.request for a in late.attempts] == [request]
    assert told.unknown == []
    assert fake.request_count(BOOKINGS) == 1


async def test_create_cancelled_in_flight_delivers_a_lost_race_as_a_definite_error(
    late_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg, told: Told
) -> None:
    fake.race_next_bookings(1)
    fake.faults.add(BOOKINGS, Fault.latency(HOLD))
    call = asyncio.ensure_future(late_client.bookings.create(trainer_request(demo)))
    await until(lambda: fake.request_count(BOOKINGS) == 1, what="the POST")
    await cancel(call)
    await late_client.aclose()
    (late,) = told.late
    assert late.booking is None
    assert isinstance(late.error, rl.SlotUnavailableError)
    assert (held(fake), told.unknown) == ([], [])


async def test_an_answer_that_cannot_be_learned_in_the_budget_is_unknown_not_late(
    fake: FakeRocketLead, demo: DemoOrg, told: Told
) -> None:
    budget = 0.2
    fake.faults.add(BOOKINGS, Fault.latency(2.0, commit=True))
    async with rl.RocketLeadClient(
        fake.tokens.write,
        base_url=fake.url,
        on_late_outcome=told.late.append,
        on_outcome_unknown=told.unknown.append,
    ) as client:
        started = time.monotonic()
        call = asyncio.ensure_future(client.bookings.create(trainer_request(demo), timeout=budget))
        await until(lambda: len(held(fake)) == 1, what="the commit")
        await cancel(call)
        await until(lambda: bool(told.unknown), what="the unknown report")
        assert time.monotonic() - started < budget + 0.15  # bounded by the call's budget
    (unknown,) = told.unknown
    assert type(unknown) is rl.BookingOutcomeUnknown
    assert told.late == []  # one hook, never both
    for task in asyncio.all_tasks():  # the fake's held answer: drop it
        if task.get_coro().__qualname__ == "RequestHandler._handle_request":  # type: ignore[union-attr]
            task.cancel()


async def test_create_cancelled_before_its_post_is_written_sends_nothing_ever(
    fake: FakeRocketLead, demo: DemoOrg, told: Told
) -> None:
    async with rl.RocketLeadClient(
        fake.tokens.write,
        base_url=fake.url,
        max_connections=1,
        on_late_outcome=told.late.append,
        on_outcome_unknown=told.unknown.append,
    ) as client:
        fake.faults.add("GET /connect/calendar/", Fault.latency(HOLD))
        blocker = asyncio.ensure_future(client.calendars.list())  # holds the only connection
        await until(lambda: fake.request_count() == 1, what="the blocking request")
        call = asyncio.ensure_future(client.bookings.create(trainer_request(demo)))
        for _ in range(5):
            await asyncio.sleep(0)
        await cancel(call)
        await blocker  # the connection comes free: the cancelled POST must not use it
    assert fake.request_count(BOOKINGS) == 0
    assert (told.late, told.unknown, held(fake)) == ([], [], [])


async def test_create_cancelled_in_its_backoff_sends_no_second_post(
    fake: FakeRocketLead, demo: DemoOrg, told: Told
) -> None:
    """The API refused the POST (503 in its own envelope, safe to repeat); the caller leaves
    while the client backs off: the repeat is never sent."""
    sleep = BlockingSleep()
    async with rl.RocketLeadClient(
        fake.tokens.write,
        base_url=fake.url,
        sleep=sleep,
        on_late_outcome=told.late.append,
        on_outcome_unknown=told.unknown.append,
    ) as client:
        fake.faults.add(BOOKINGS, Fault.status(503))
        call = asyncio.ensure_future(client.bookings.create(trainer_request(demo)))
        await sleep.entered.wait()
        await cancel(call)
        sleep.release.set()
    assert fake.request_count(BOOKINGS) == 1
    assert (told.late, told.unknown, held(fake)) == ([], [], [])


async def test_without_a_late_hook_a_cancelled_post_is_reported_unknown_at_once(
    fake: FakeRocketLead, demo: DemoOrg, told: Told
) -> None:
    async with rl.RocketLeadClient(
        fake.tokens.write, base_url=fake.url, on_outcome_unknown=told.unknown.append
    ) as client:
        fake.faults.add(BOOKINGS, Fault.latency(HOLD))
        call = asyncio.ensure_future(client.bookings.create(trainer_request(demo)))
        await until(lambda: fake.request_count(BOOKINGS) == 1, what="the POST")
        await cancel(call)
        assert len(told.unknown) == 1  # at the moment of cancellation, as in wave 1


# -- book(), cancelled at each of its await points ----------------------------------------------


def blocking_hook(kind: Kind, entered: asyncio.Event) -> Callable[[rl.RecoveryEvent], Any]:
    """An ``on_event`` hook that blocks (the agent is speaking) at events of ``kind``."""

    async def on_event(event: rl.RecoveryEvent) -> None:
        if event.kind is kind:
            entered.set()
            await asyncio.Event().wait()

    return on_event


# (event the caller is cancelled in, races injected, bookings the caller ends up holding)
HOOK_POINTS = [
    (Kind.ATTEMPT, 0, 0),
    (Kind.SLOT_TAKEN, 1, 0),
    (Kind.REFETCHED, 1, 0),
    (Kind.PICKED, 1, 0),
    (Kind.BOOKED, 0, 1),
    (Kind.BOOKED, 1, 1),  # the alternative was booked, then the caller left
]


@pytest.mark.parametrize("late_hook", [True, False], ids=["late_hook", "wave1"])
@pytest.mark.parametrize(("kind", "races", "holding"), HOOK_POINTS)
async def test_book_cancelled_in_a_hook_accounts_for_every_booking(
    fake: FakeRocketLead,
    demo: DemoOrg,
    told: Told,
    kind: Kind,
    races: int,
    holding: int,
    late_hook: bool,
) -> None:
    entered = asyncio.Event()
    fake.race_next_bookings(races)
    async with rl.RocketLeadClient(
        fake.tokens.write,
        base_url=fake.url,
        on_late_outcome=told.late.append if late_hook else None,
        on_outcome_unknown=told.unknown.append,
    ) as client:
        call = asyncio.ensure_future(
            client.bookings.book(
                trainer_request(demo),
                recovery=rl.SlotRecovery(on_event=blocking_hook(kind, entered)),
            )
        )
        await entered.wait()
        posts = fake.request_count(BOOKINGS)
        await cancel(call)
    assert fake.request_count(BOOKINGS) == posts  # nothing after the cancellation
    assert len(held(fake)) == holding
    if late_hook:
        assert told.booked() == held(fake)
        assert told.unknown == []
        if holding:
            (late,) = told.late
            assert late.attempts[-1].request == late.request
            assert len(late.attempts) == races + 1
    else:
        # Without the hook the application still hears of it, as an unknown outcome.
        assert told.late == []
        assert len(told.unknown) == holding
        assert all(type(u) is rl.BookingOutcomeUnknown for u in told.unknown)


@pytest.mark.parametrize("races", [0, 1], ids=["answer_booked", "answer_taken"])
async def test_book_cancelled_while_a_post_is_in_flight_books_nothing_further(
    late_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg, told: Told, races: int
) -> None:
    fake.race_next_bookings(races)
    fake.faults.add(BOOKINGS, Fault.latency(HOLD))
    events: list[Kind] = []
    request = trainer_request(demo)
    call = asyncio.ensure_future(
        late_client.bookings.book(
            request, recovery=rl.SlotRecovery(on_event=lambda e: events.append(e.kind))
        )
    )
    await until(lambda: fake.request_count(BOOKINGS) == 1, what="the POST")
    await cancel(call)
    await late_client.aclose()
    assert events == [Kind.ATTEMPT, Kind.SENT]  # nothing after the caller left
    assert (fake.request_count(BOOKINGS), fake.request_count(AVAILABILITY)) == (1, 0)
    (late,) = told.late
    assert late.request == request
    assert [a.request for a in late.attempts] == [request]
    if races:
        assert isinstance(late.error, rl.SlotUnavailableError)
        assert held(fake) == []
    else:
        assert told.booked() == held(fake) != []
    assert told.unknown == []


async def test_sent_tells_a_written_post_from_one_never_sent(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    seen: list[Kind] = []
    fake.race_next_bookings(1)
    outcome = await client.bookings.book(
        trainer_request(demo), recovery=rl.SlotRecovery(on_event=lambda e: seen.append(e.kind))
    )
    assert outcome.recovered
    assert seen == [
        Kind.ATTEMPT,
        Kind.SENT,
        Kind.SLOT_TAKEN,
        Kind.REFETCHED,
        Kind.PICKED,
        Kind.ATTEMPT,
        Kind.SENT,
        Kind.BOOKED,
    ]
    assert Kind.SENT.value == "sent"


async def test_a_cancel_landing_as_an_attempt_hook_finishes_sends_no_post(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    """The hook completes in the same loop turn as the cancellation arrives: on Python 3.11
    ``asyncio.wait_for`` would return the hook's result and swallow the cancellation, and the
    POST would go out for a caller who has left."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def on_event(event: rl.RecoveryEvent) -> None:
        if event.kind is Kind.ATTEMPT:
            entered.set()
            await release.wait()

    call = asyncio.ensure_future(
        client.bookings.book(trainer_request(demo), recovery=rl.SlotRecovery(on_event=on_event))
    )
    await entered.wait()
    release.set()
    await cancel(call)
    for _ in range(10):
        await asyncio.sleep(0)
    assert fake.request_count(BOOKINGS) == 0
    assert held(fake) == []


# -- hooks and closing ------------------------------------------------------------------------


async def test_aclose_waits_for_a_late_read_and_a_slow_late_hook(
    fake: FakeRocketLead, demo: DemoOrg
) -> None:
    release = asyncio.Event()
    heard: list[rl.LateOutcome] = []

    async def slow_hook(outcome: rl.LateOutcome) -> None:
        await release.wait()
        heard.append(outcome)

    client = rl.RocketLeadClient(fake.tokens.write, base_url=fake.url, on_late_outcome=slow_hook)
    fake.faults.add(BOOKINGS, Fault.latency(HOLD))
    call = asyncio.ensure_future(client.bookings.create(trainer_request(demo)))
    await until(lambda: fake.request_count(BOOKINGS) == 1, what="the POST")
    await cancel(call)
    closing = asyncio.ensure_future(client.aclose())
    await until(lambda: len(held(fake)) == 1, what="the commit")
    for _ in range(20):
        await asyncio.sleep(0)
    assert not closing.done()  # the hook (created during close) still runs
    release.set()
    await closing
    assert [o.booking.id for o in heard if o.booking] == held(fake)


async def test_a_failing_late_hook_is_logged_never_raised(
    fake: FakeRocketLead, demo: DemoOrg, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(outcome: rl.LateOutcome) -> None:
        raise RuntimeError("hook bug")

    client = rl.RocketLeadClient(fake.tokens.write, base_url=fake.url, on_late_outcome=broken)
    fake.faults.add(BOOKINGS, Fault.latency(HOLD))
    call = asyncio.ensure_future(client.bookings.create(trainer_request(demo)))
    await until(lambda: fake.request_count(BOOKINGS) == 1, what="the POST")
    await cancel(call)
    await client.aclose()
    assert "on_late_outcome hook failed" in caplog.text


def test_late_outcome_hook_must_be_callable() -> None:
    with pytest.raises(TypeError, match="on_late_outcome"):
        rl.RocketLeadClient("rocketlead_test", on_late_outcome="nope")  # type: ignore[arg-type]
