"""What recovery must never do: book twice, outlive its budget, swallow a cancellation."""

from __future__ import annotations

import asyncio
import logging

import pytest

import rocketlead_async as rl
from rocketlead_async.testing import DemoOrg, FakeRocketLead, Fault
from tests.helpers.clients import MakeClient
from tests.helpers.clock import FakeClock
from tests.helpers.demo import (
    AVAILABILITY,
    BEN,
    BOOKINGS,
    berlin,
    bookings_named,
    trainer_request,
    where,
)
from tests.helpers.recorders import Events, Unknowns

Kind = rl.RecoveryEventKind


@pytest.mark.parametrize(
    "fault",
    [Fault.drop_after_commit(), Fault.status(504, commit=True)],
    ids=["drop_after_commit", "504"],
)
async def test_an_unknown_outcome_on_the_second_post_stops_at_once(
    fake_client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    events: Events,
    unknowns: Unknowns,
    fault: Fault,
) -> None:
    def arm(event: rl.RecoveryEvent) -> None:
        events.hook(event)
        if event.kind is Kind.SLOT_TAKEN:
            fake.faults.add(BOOKINGS, fault)

    fake.race_next_bookings(1)
    request = trainer_request(demo)
    with pytest.raises(rl.BookingOutcomeUnknown) as caught:
        await fake_client.bookings.book(request, recovery=rl.SlotRecovery(on_event=arm, spread=1))

    # The error's history (the lost race, then this POST) is proven on canned answers in
    # tests/retries; here the server really committed.
    assert where(caught.value.request) == (demo.mitte_trainer_ids[BEN], berlin(24, 14))
    assert unknowns == [caught.value]
    assert fake.request_count(BOOKINGS) == 2
    assert fake.request_count(AVAILABILITY) == 1
    # The server did commit: the caller holds exactly that one booking, never a second.
    assert len(bookings_named(fake, "Caller")) == 1
    assert events.steps[-2:] == [("attempt", 2), ("sent", 2)]  # it was written, then unknown


async def test_an_unknown_outcome_on_the_first_post_fetches_nothing(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    fake.faults.add(BOOKINGS, Fault.status(502))
    with pytest.raises(rl.BookingOutcomeUnknown):
        await fake_client.bookings.book(trainer_request(demo), recovery=rl.SlotRecovery())
    assert fake.request_count(BOOKINGS) == 1
    assert fake.request_count(AVAILABILITY) == 0


async def test_too_little_time_for_another_post_gives_up_with_fresh_alternatives(
    fake_client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    clock: FakeClock,
    events: Events,
) -> None:
    def slow(event: rl.RecoveryEvent) -> None:
        events.hook(event)
        if event.kind is Kind.SLOT_TAKEN:
            clock.advance(9.7)  # of 10: the refetch still fits, a POST (0.5 s) does not

    fake.race_next_bookings(1)
    with pytest.raises(rl.SlotRecoveryExhausted) as caught:
        await fake_client.bookings.book(
            trainer_request(demo), recovery=rl.SlotRecovery(on_event=slow), timeout=10
        )
    assert caught.value.reason == "deadline"
    assert caught.value.alternatives
    assert fake.request_count(BOOKINGS) == 1
    assert fake.request_count(AVAILABILITY) == 1
    assert events.steps[-3:] == [("refetched", 1), ("picked", 1), ("gave_up", 1)]
    assert events.seen[-1].elapsed == pytest.approx(9.7)


async def test_a_spent_budget_is_not_spent_on_a_refetch(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg, clock: FakeClock
) -> None:
    def slow(event: rl.RecoveryEvent) -> None:
        if event.kind is Kind.SLOT_TAKEN:
            clock.advance(10)

    fake.race_next_bookings(1)
    with pytest.raises(rl.SlotRecoveryExhausted) as caught:
        await fake_client.bookings.book(
            trainer_request(demo), recovery=rl.SlotRecovery(on_event=slow), timeout=10
        )
    assert caught.value.reason == "deadline"
    assert isinstance(caught.value.__cause__, rl.DeadlineExceeded)
    assert caught.value.alternatives == ()
    assert fake.request_count(AVAILABILITY) == 0


async def test_no_post_starts_after_a_slow_attempt_hook(
    fake_client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    clock: FakeClock,
    events: Events,
) -> None:
    def slow(event: rl.RecoveryEvent) -> None:
        events.hook(event)
        if event.kind is Kind.ATTEMPT and event.attempt == 2:
            clock.advance(9.8)

    fake.race_next_bookings(1)
    with pytest.raises(rl.SlotRecoveryExhausted) as caught:
        await fake_client.bookings.book(
            trainer_request(demo), recovery=rl.SlotRecovery(on_event=slow), timeout=10
        )
    assert caught.value.reason == "deadline"
    assert len(caught.value.attempts) == 1
    assert fake.request_count(BOOKINGS) == 1
    assert events.steps[-2:] == [("attempt", 2), ("gave_up", 2)]


async def test_a_budget_below_min_attempt_time_still_sends_the_first_post(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg, events: Events
) -> None:
    """The minimum guards later attempts only: without a race, book() behaves like create()
    with the same timeout."""
    policy = rl.SlotRecovery(min_attempt_time=2.0, on_event=events.hook)
    outcome = await fake_client.bookings.book(trainer_request(demo), recovery=policy, timeout=1.5)
    assert not outcome.recovered
    assert fake.request_count(BOOKINGS) == 1
    assert events.steps == [("attempt", 1), ("sent", 1), ("booked", 1)]


async def test_after_a_lost_race_no_post_starts_below_min_attempt_time(
    fake_client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    events: Events,
    clock: FakeClock,
) -> None:
    def slow(event: rl.RecoveryEvent) -> None:
        events.hook(event)
        if event.kind is Kind.SLOT_TAKEN:
            clock.advance(1.2)  # 0.3 s of the 1.5 s budget left: below the minimum

    fake.race_next_bookings(1)
    policy = rl.SlotRecovery(min_attempt_time=0.5, on_event=slow)
    with pytest.raises(rl.SlotRecoveryExhausted) as caught:
        await fake_client.bookings.book(trainer_request(demo), recovery=policy, timeout=1.5)
    assert caught.value.reason == "deadline"
    assert fake.request_count(BOOKINGS) == 1


async def test_a_hanging_confirm_is_cut_off_by_the_deadline(
    make_wall_client: MakeClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    asked, never = asyncio.Event(), asyncio.Event()

    async def hang(_original: rl.BookingRequest, _alternative: rl.Slot) -> bool:
        asked.set()
        await never.wait()
        return True

    fake.race_next_bookings(1)
    policy = rl.SlotRecovery(confirm=hang, min_attempt_time=0.01)
    # The real clock: the budget has to run out while the hook waits.
    client = make_wall_client()
    with pytest.raises(rl.SlotRecoveryExhausted) as caught:
        await client.bookings.book(trainer_request(demo), recovery=policy, timeout=0.4)
    assert asked.is_set()
    assert caught.value.reason == "deadline"
    assert caught.value.alternatives
    assert fake.request_count(BOOKINGS) == 1


async def test_a_failed_refetch_gives_up_with_its_cause(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    fake.race_next_bookings(1)
    fake.faults.add(AVAILABILITY, Fault.status(500), times=None)
    with pytest.raises(rl.SlotRecoveryExhausted) as caught:
        await fake_client.bookings.book(trainer_request(demo), recovery=rl.SlotRecovery())
    assert caught.value.reason == "refetch_failed"
    assert isinstance(caught.value.__cause__, rl.InternalServerError)
    assert len(caught.value.attempts) == 1
    assert caught.value.alternatives == ()
    # The GET was retried by the transport's own policy (3 requests), the POST was not repeated.
    assert fake.request_count(AVAILABILITY) == 3
    assert fake.request_count(BOOKINGS) == 1


async def test_a_failed_refetch_after_the_last_attempt_keeps_the_known_alternatives(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    def fail_next_refetch(event: rl.RecoveryEvent) -> None:
        if event.kind is Kind.SLOT_TAKEN and event.attempt == 2:
            fake.faults.add(AVAILABILITY, Fault.status(500), times=None)

    fake.race_next_bookings(2)
    policy = rl.SlotRecovery(max_attempts=2, on_event=fail_next_refetch)
    with pytest.raises(rl.SlotRecoveryExhausted) as caught:
        await fake_client.bookings.book(trainer_request(demo), recovery=policy)
    exhausted = caught.value
    assert exhausted.reason == "max_attempts"
    assert isinstance(exhausted.__cause__, rl.InternalServerError)
    tried = {where(a.request) for a in exhausted.attempts}
    assert exhausted.alternatives
    assert tried.isdisjoint(where(s) for s in exhausted.alternatives)


@pytest.mark.parametrize("where_", ["on_event", "confirm"])
async def test_cancellation_inside_book_propagates(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg, where_: str
) -> None:
    entered, never = asyncio.Event(), asyncio.Event()

    async def wait_forever() -> None:
        entered.set()
        await never.wait()

    async def on_event(event: rl.RecoveryEvent) -> None:
        if where_ == "on_event" and event.kind is Kind.REFETCHED:
            await wait_forever()

    async def confirm(_original: rl.BookingRequest, _alternative: rl.Slot) -> bool:
        await wait_forever()
        return True

    fake.race_next_bookings(1)
    policy = rl.SlotRecovery(on_event=on_event, confirm=confirm)
    task = asyncio.create_task(fake_client.bookings.book(trainer_request(demo), recovery=policy))
    await asyncio.wait_for(entered.wait(), 5)  # bounded only so a regression cannot hang
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert fake.request_count(BOOKINGS) == 1
    assert bookings_named(fake, "Caller") == []


async def test_a_post_the_deadline_stopped_before_sending_gives_up(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg, clock: FakeClock
) -> None:
    async def oversleep(_delay: float) -> None:
        clock.advance(60)  # the backoff after the 503 outlasts the whole budget

    clock.then = oversleep
    fake.faults.add(BOOKINGS, Fault.status(503))
    with pytest.raises(rl.SlotRecoveryExhausted) as caught:
        await fake_client.bookings.book(trainer_request(demo), recovery=rl.SlotRecovery())
    assert caught.value.reason == "deadline"
    assert isinstance(caught.value.__cause__, rl.DeadlineExceeded)
    [attempt] = caught.value.attempts
    assert attempt.error is caught.value.__cause__
    assert fake.request_count(BOOKINGS) == 1


async def test_cancelled_after_booking_logs_the_booking_that_stands(
    fake_client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    caplog: pytest.LogCaptureFixture,
) -> None:
    entered, never = asyncio.Event(), asyncio.Event()

    async def on_event(event: rl.RecoveryEvent) -> None:
        if event.kind is Kind.BOOKED:
            entered.set()
            await never.wait()

    policy = rl.SlotRecovery(on_event=on_event)
    task = asyncio.create_task(fake_client.bookings.book(trainer_request(demo), recovery=policy))
    await asyncio.wait_for(entered.wait(), 5)  # bounded only so a regression cannot hang
    with caplog.at_level(logging.WARNING, logger="rocketlead_async"):
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    [booking_id] = bookings_named(fake, "Caller")
    assert any(booking_id in r.getMessage() for r in caplog.records)
