"""A booking is never orphaned: create()/book() cancelled while a booking may be in flight.

After each cancellation the accounting is exact: the bookings the server holds for the caller
are those returned, delivered late (``on_late_outcome``) or reported unknown
(``on_outcome_unknown``), each once, never to both hooks, and no POST follows a cancellation.
Answers are held by the fake's small injected latency (``HOLD``) so a POST is in flight when
the test cancels; nothing else waits for real time. (Cancellation without a late hook, where
the SDK reports an unknown outcome at once, is proven in tests/retries.)
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import pytest

import rocketlead_async as rl
from rocketlead_async._outcomes import OutcomeReporter
from rocketlead_async.testing import DemoOrg, FakeRocketLead, Fault
from tests.helpers.clients import MakeClient
from tests.helpers.clock import BlockingSleep
from tests.helpers.demo import AVAILABILITY, BOOKINGS, CALENDARS, bookings_named, trainer_request
from tests.helpers.recorders import Unknowns, until
from tests.helpers.tasks import cancel

Kind = rl.RecoveryEventKind
HOLD = 0.05  # seconds the fake holds a booking answer: long enough to cancel mid-flight


def held(fake: FakeRocketLead, name: str = "Caller") -> list[str]:
    """Ids of the bookings the fake holds for the caller."""
    return bookings_named(fake, name)


def booked(lates: list[rl.LateOutcome]) -> list[str]:
    """Ids of the bookings delivered late."""
    return [o.booking.id for o in lates if o.booking is not None]


async def cancel_mid_post(
    client: rl.RocketLeadClient, fake: FakeRocketLead, request: rl.BookingRequest
) -> None:
    """``client.bookings.create(request)`` cancelled while the fake holds its POST's answer."""
    fake.faults.add(BOOKINGS, Fault.latency(HOLD))
    call = asyncio.ensure_future(client.bookings.create(request))
    await until(lambda: fake.request_count(BOOKINGS) == 1, what="the POST")
    await cancel(call)


# -- create() ---------------------------------------------------------------------------------


async def test_create_cancelled_in_flight_delivers_the_booking_late(
    late_client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    lates: list[rl.LateOutcome],
    unknowns: Unknowns,
) -> None:
    request = trainer_request(demo)
    await cancel_mid_post(late_client, fake, request)
    assert lates == []  # the answer is still on its way
    await late_client.aclose()  # waits for it
    (late,) = lates
    assert late.request is request
    assert late.error is None
    assert late.booking is not None
    assert held(fake) == [late.booking.id]
    assert [a.request for a in late.attempts] == [request]
    assert unknowns == []
    assert fake.request_count(BOOKINGS) == 1


async def test_a_with_options_copy_for_another_identity_keeps_the_late_hook(
    late_client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    lates: list[rl.LateOutcome],
    unknowns: Unknowns,
) -> None:
    """A copy with other headers (or another token or base URL) is built anew through the
    constructor; the application's ``on_late_outcome`` must come along with it."""
    copy = late_client.with_options(default_headers={"X-Agent": "7"})
    await cancel_mid_post(copy, fake, trainer_request(demo))
    await copy.aclose()  # waits for the late read
    assert [late.booking is not None for late in lates] == [True]
    assert unknowns == []


async def test_create_cancelled_in_flight_delivers_a_lost_race_as_a_definite_error(
    late_client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    lates: list[rl.LateOutcome],
    unknowns: Unknowns,
) -> None:
    fake.race_next_bookings(1)
    await cancel_mid_post(late_client, fake, trainer_request(demo))
    await late_client.aclose()
    (late,) = lates
    assert late.booking is None
    assert isinstance(late.error, rl.SlotUnavailableError)
    assert (held(fake), unknowns) == ([], [])


async def test_create_cancelled_before_its_post_is_written_sends_nothing_ever(
    make_wall_client: MakeClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    lates: list[rl.LateOutcome],
    unknowns: Unknowns,
) -> None:
    """With a late hook the cancelled call's request is stopped, not left to finish: the
    connection it waited for comes free and must not carry the POST."""
    client = make_wall_client(max_connections=1, on_late_outcome=lates.append)
    fake.faults.add(CALENDARS, Fault.latency(HOLD))
    blocker = asyncio.ensure_future(client.calendars.list())  # holds the only connection
    await until(lambda: fake.request_count() == 1, what="the blocking request")
    call = asyncio.ensure_future(client.bookings.create(trainer_request(demo)))
    for _ in range(5):
        await asyncio.sleep(0)
    await cancel(call)
    await blocker  # the connection comes free: the cancelled POST must not use it
    await client.aclose()
    assert fake.request_count(BOOKINGS) == 0
    assert (lates, unknowns, held(fake)) == ([], [], [])


async def test_create_cancelled_in_its_backoff_sends_no_second_post(
    make_wall_client: MakeClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    lates: list[rl.LateOutcome],
    unknowns: Unknowns,
) -> None:
    """The API refused the POST (503 in its own envelope, safe to repeat); the caller leaves
    while the client backs off: with a late hook too, the repeat is never sent and nothing
    is delivered late."""
    sleep = BlockingSleep()
    client = make_wall_client(sleep=sleep, on_late_outcome=lates.append)
    fake.faults.add(BOOKINGS, Fault.status(503))
    call = asyncio.ensure_future(client.bookings.create(trainer_request(demo)))
    await sleep.entered.wait()
    await cancel(call)
    sleep.release.set()
    # A round trip of the client's own, so a repeat left running would have gone out by now
    # (closing at once would refuse it for the closing, not for the cancellation).
    await client.calendars.list()
    await client.aclose()
    assert fake.request_count(BOOKINGS) == 1
    assert (lates, unknowns, held(fake)) == ([], [], [])


async def test_without_a_late_hook_a_cancelled_post_is_reported_unknown_at_once(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg, unknowns: Unknowns
) -> None:
    """No late hook: nobody waits for the answer. The report comes at the moment of
    cancellation and the connection goes with the caller, so the fake's answer finds no
    client (a reset the fake passes through, never an error of its own)."""
    await cancel_mid_post(fake_client, fake, trainer_request(demo))
    assert len(unknowns) == 1
    await until(lambda: fake.in_flight.requests == 0, what="the fake's answer")
    assert len(unknowns) == 1


async def test_an_answer_that_cannot_be_learned_in_the_budget_is_unknown_not_late(
    late_client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    lates: list[rl.LateOutcome],
    unknowns: Unknowns,
) -> None:
    budget = 0.2
    fake.faults.add(BOOKINGS, Fault.latency(2.0, commit=True))  # dropped when the test ends
    started = time.monotonic()
    call = asyncio.ensure_future(late_client.bookings.create(trainer_request(demo), timeout=budget))
    await until(lambda: len(held(fake)) == 1, what="the commit")
    await cancel(call)
    await until(lambda: bool(unknowns), what="the unknown report")
    assert time.monotonic() - started < budget + 0.15  # bounded by the call's budget
    (unknown,) = unknowns
    assert type(unknown) is rl.BookingOutcomeUnknown
    assert lates == []  # one hook, never both


async def test_an_answer_read_as_the_cancellation_lands_is_delivered_late(
    late_client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    lates: list[rl.LateOutcome],
    unknowns: Unknowns,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The booking's answer is read in the loop turn the caller is cancelled in: the reading
    task is done, yet the caller never gets its result. It must be delivered late, not
    dropped with the task. (The cancellation is timed from the client's own task, private:
    no public hook runs between the answer and the caller.)"""
    callers: list[asyncio.Task[Any]] = []
    spawn = OutcomeReporter.spawn

    def spawn_and_hang_up_on_the_answer(
        reporter: OutcomeReporter, coroutine: Coroutine[Any, Any, Any]
    ) -> asyncio.Task[Any]:
        task = spawn(reporter, coroutine)
        if len(callers) == 1:  # the booking's own task: the caller leaves as it finishes
            task.add_done_callback(lambda _task: callers.pop().cancel())
        return task

    monkeypatch.setattr(OutcomeReporter, "spawn", spawn_and_hang_up_on_the_answer)

    async def caller() -> rl.Booking:
        me = asyncio.current_task()
        assert me is not None
        callers.append(me)
        return await late_client.bookings.create(trainer_request(demo))

    with pytest.raises(asyncio.CancelledError):
        await asyncio.ensure_future(caller())
    await late_client.aclose()
    assert callers == []  # it was cancelled from the booking task's completion
    assert booked(lates) == held(fake) != []
    assert unknowns == []


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
# Without a late hook, a cancellation at ATTEMPT or PICKED (no POST in flight) is proven in
# tests/retries (test_cancel_book_in_the_attempt_event_before_the_first_post and
# test_cancel_book_in_the_picked_event_before_the_second_post).
CASES = [
    pytest.param(kind, races, holding, late_hook, id=f"{kind.value}-{races}-{hook_id}")
    for kind, races, holding in HOOK_POINTS
    for late_hook, hook_id in ((True, "late_hook"), (False, "wave1"))
    if late_hook or kind not in (Kind.ATTEMPT, Kind.PICKED)
]


@pytest.mark.parametrize(("kind", "races", "holding", "late_hook"), CASES)
async def test_book_cancelled_in_a_hook_accounts_for_every_booking(
    make_wall_client: MakeClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    lates: list[rl.LateOutcome],
    unknowns: Unknowns,
    kind: Kind,
    races: int,
    holding: int,
    late_hook: bool,
) -> None:
    entered = asyncio.Event()
    fake.race_next_bookings(races)
    client = make_wall_client(on_late_outcome=lates.append if late_hook else None)
    call = asyncio.ensure_future(
        client.bookings.book(
            trainer_request(demo),
            recovery=rl.SlotRecovery(on_event=blocking_hook(kind, entered)),
        )
    )
    await entered.wait()
    posts = fake.request_count(BOOKINGS)
    await cancel(call)
    await client.aclose()
    assert fake.request_count(BOOKINGS) == posts  # nothing after the cancellation
    assert len(held(fake)) == holding
    if late_hook:
        assert booked(lates) == held(fake)
        assert unknowns == []
        if holding:
            (late,) = lates
            assert late.attempts[-1].request == late.request
            assert len(late.attempts) == races + 1
    else:
        # Without the hook the application still hears of it, as an unknown outcome.
        assert lates == []
        assert len(unknowns) == holding
        assert all(type(u) is rl.BookingOutcomeUnknown for u in unknowns)


@pytest.mark.parametrize("races", [0, 1], ids=["answer_booked", "answer_taken"])
async def test_book_cancelled_while_a_post_is_in_flight_books_nothing_further(
    late_client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    lates: list[rl.LateOutcome],
    unknowns: Unknowns,
    races: int,
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
    (late,) = lates
    assert late.request == request
    assert [a.request for a in late.attempts] == [request]
    if races:
        assert isinstance(late.error, rl.SlotUnavailableError)
        assert held(fake) == []
    else:
        assert booked(lates) == held(fake) != []
    assert unknowns == []


async def test_book_cancelled_as_its_post_starts_orphans_nothing(
    late_client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    lates: list[rl.LateOutcome],
    unknowns: Unknowns,
) -> None:
    """The caller's task is cancelled from its own (sync) attempt hook: the cancellation lands
    at the first await after it, as the POST is handed to aiohttp on a pooled connection. On
    Python < 3.12 aiohttp writes the body from a task of its own that runs after the
    cancellation: it must not write it. Whatever the interleaving, what the server holds is
    what the late hook heard."""
    await late_client.calendars.get(demo.mitte_calendar_id)  # a pooled connection
    callers: list[asyncio.Task[Any]] = []

    def hang_up(event: rl.RecoveryEvent) -> None:
        if event.kind is Kind.ATTEMPT:
            callers[0].cancel()

    async def caller() -> rl.BookingOutcome:
        me = asyncio.current_task()
        assert me is not None
        callers.append(me)
        policy = rl.SlotRecovery(on_event=hang_up)
        return await late_client.bookings.book(trainer_request(demo), recovery=policy)

    with pytest.raises(asyncio.CancelledError):
        await asyncio.ensure_future(caller())
    await late_client.aclose()
    assert fake.request_count(BOOKINGS) == len(held(fake)) <= 1
    assert booked(lates) == held(fake)
    assert unknowns == []


async def test_a_cancel_landing_as_an_attempt_hook_finishes_sends_no_post(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
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
        fake_client.bookings.book(
            trainer_request(demo), recovery=rl.SlotRecovery(on_event=on_event)
        )
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
    make_wall_client: MakeClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    release = asyncio.Event()
    heard: list[rl.LateOutcome] = []

    async def slow_hook(outcome: rl.LateOutcome) -> None:
        await release.wait()
        heard.append(outcome)

    client = make_wall_client(on_late_outcome=slow_hook)
    await cancel_mid_post(client, fake, trainer_request(demo))
    closing = asyncio.ensure_future(client.aclose())
    await until(lambda: len(held(fake)) == 1, what="the commit")
    for _ in range(20):
        await asyncio.sleep(0)
    assert not closing.done()  # the hook (created during close) still runs
    release.set()
    await closing
    assert booked(heard) == held(fake)


async def test_a_failing_late_hook_is_logged_never_raised(
    make_wall_client: MakeClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def broken(outcome: rl.LateOutcome) -> None:
        raise RuntimeError("hook bug")

    client = make_wall_client(on_late_outcome=broken)
    await cancel_mid_post(client, fake, trainer_request(demo))
    await client.aclose()
    assert "on_late_outcome hook failed" in caplog.text


def test_late_outcome_hook_must_be_callable() -> None:
    with pytest.raises(TypeError, match="on_late_outcome"):
        rl.RocketLeadClient("rocketlead_test", on_late_outcome="nope")  # type: ignore[arg-type]
