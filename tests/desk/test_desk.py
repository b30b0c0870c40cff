"""BookingDesk: one caller, one booking, whatever the caller and the LLM do meanwhile."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone

import pytest

import rocketlead_async as rl
from rocketlead_async.testing import DemoOrg, FakeRocketLead, Fault
from tests.helpers.clients import MakeClient
from tests.helpers.clock import FakeClock
from tests.helpers.demo import AVAILABILITY, BERLIN, BOOKINGS, berlin, bookings_named
from tests.helpers.recorders import until

Kind = rl.RecoveryEventKind


async def open_desk(
    client: rl.RocketLeadClient, demo: DemoOrg, **options: object
) -> rl.BookingDesk:
    """A desk for one caller of the demo's Personal Training at Mitte."""
    calendar = await client.calendars.get(demo.mitte_calendar_id)
    return rl.BookingDesk(
        client,
        calendar=calendar,
        appointment_type_id=demo.personal_training_type_id,
        **options,  # type: ignore[arg-type]
    )


async def until_posted(fake: FakeRocketLead, count: int = 1) -> None:
    """Wait until the fake has received ``count`` booking POSTs (they are then in flight)."""
    await until(lambda: fake.request_count(BOOKINGS) >= count, what="the booking POST")


# -- offers and spoken times ----------------------------------------------------------------


async def test_offers_have_short_ids_stable_within_the_desk_and_spoken_local_times(
    fake_client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    desk = await open_desk(fake_client, demo, max_offers=3)
    first = await desk.offer(berlin(24, 14), berlin(24, 17))
    assert [(o.id, o.spoken) for o in first] == [
        ("S1", "Wednesday 24 March at 14:00"),
        ("S2", "Wednesday 24 March at 14:30"),
        ("S3", "Wednesday 24 March at 15:00"),
    ]
    # Asked again from a later start: the times seen before keep their ids.
    again = await desk.offer(berlin(24, 14, 30), berlin(24, 17))
    assert [(o.id, o.spoken) for o in again] == [
        ("S2", "Wednesday 24 March at 14:30"),
        ("S3", "Wednesday 24 March at 15:00"),
        ("S4", "Wednesday 24 March at 15:30"),
    ]


async def test_spoken_times_follow_the_calendar_zone_across_the_dst_change(
    fake_client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    desk = await open_desk(fake_client, demo, max_offers=1)
    (saturday,) = await desk.offer(berlin(27, 15), berlin(27, 17))
    (monday,) = await desk.offer(berlin(29, 15), berlin(29, 17))
    assert saturday.spoken == "Saturday 27 March at 15:00"  # CET, 14:00 UTC
    assert monday.spoken == "Monday 29 March at 15:00"  # CEST, 13:00 UTC
    assert saturday.slot.start.astimezone(timezone.utc).hour == 14
    assert monday.slot.start.astimezone(timezone.utc).hour == 13
    # The night of the change itself: 01:30 UTC is 03:30 CEST, an hour after 00:30 UTC (01:30).
    phrases = rl.Phrases()
    night = datetime(2027, 3, 28, 0, 30, tzinfo=timezone.utc)
    assert phrases.when(night, BERLIN) == "Sunday 28 March at 01:30"
    assert phrases.when(night + timedelta(hours=1), BERLIN) == "Sunday 28 March at 03:30"


# -- single flight --------------------------------------------------------------------------


async def test_a_booking_then_every_further_call_is_already_booked_and_sends_nothing(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    desk = await open_desk(fake_client, demo)
    offers = await desk.offer(berlin(24, 14), berlin(24, 17))
    result = await desk.book("S1", name="Jane")
    assert result.status == "booked"
    assert result.spoken == "You're booked for Wednesday 24 March at 14:00."
    assert result.for_llm() == {
        "status": "booked",
        "say": "You're booked for Wednesday 24 March at 14:00.",
        "booking_id": result.booking.id if result.booking else None,
    }
    for again in ("S1", "S2"):
        repeat = await desk.book(again, name="Jane")
        assert repeat.status == "already_booked"
        assert repeat.booking == result.booking
        assert repeat.spoken == "You're already booked for Wednesday 24 March at 14:00."
    assert fake.request_count(BOOKINGS) == 1
    assert desk.outcomes == (result,)
    assert offers[0].slot.start == berlin(24, 14)


async def test_duplicate_concurrent_calls_join_one_post_and_get_the_same_result(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    desk = await open_desk(fake_client, demo)
    await desk.offer(berlin(24, 14), berlin(24, 17))
    results = await asyncio.gather(*(desk.book("S2", name="Jane") for _ in range(3)))
    assert results[0].status == "booked"
    assert all(result is results[0] for result in results)
    assert fake.request_count(BOOKINGS) == 1
    assert len(bookings_named(fake, "Jane")) == 1


async def test_another_slot_while_one_is_in_flight_is_in_progress_and_sends_nothing(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    desk = await open_desk(fake_client, demo)
    await desk.offer(berlin(24, 14), berlin(24, 17))
    first = asyncio.ensure_future(desk.book("S1", name="Jane"))
    await asyncio.sleep(0)
    other = await desk.book("S3", name="Jane")
    assert other.status == "in_progress"
    assert other.spoken == "I'm still booking Wednesday 24 March at 14:00. One moment, please."
    assert other.for_llm() == {"status": "in_progress", "say": other.spoken}
    assert (await first).status == "booked"
    assert fake.request_count(BOOKINGS) == 1
    assert desk.outcomes == (await first,)  # in_progress is not a settled booking


async def test_an_unknown_slot_id_is_an_answer_the_llm_can_act_on(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    desk = await open_desk(fake_client, demo)
    await desk.offer(berlin(24, 14), berlin(24, 17))
    result = await desk.book("2027-03-24T14:00:00+01:00")
    assert (result.status, result.reason) == ("failed", "unknown_slot")
    assert "Please choose one of the times I offered" in result.spoken
    assert fake.request_count(BOOKINGS) == 0
    with pytest.raises(TypeError, match="slot_id"):
        await desk.book(1)  # type: ignore[arg-type]


async def test_after_an_unknown_outcome_the_desk_never_posts_again(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    desk = await open_desk(fake_client, demo)
    await desk.offer(berlin(24, 14), berlin(24, 17))
    fake.faults.add(BOOKINGS, Fault.drop_after_commit())
    result = await desk.book("S1", name="Jane")
    assert result.status == "unknown"
    assert result.spoken.startswith("I couldn't confirm whether Wednesday 24 March at 14:00")
    again = await desk.book("S2", name="Jane")
    assert again.status == "unknown"
    assert fake.request_count(BOOKINGS) == 1


# -- abandonment (commit shielding) ---------------------------------------------------------


async def test_a_caller_cancelled_mid_post_keeps_the_booking_and_everyone_is_told(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    told: list[rl.DeskResult] = []
    late: list[rl.DeskResult] = []
    desk = await open_desk(fake_client, demo, on_outcome=told.append)
    await desk.offer(berlin(24, 14), berlin(24, 17))
    fake.faults.add(BOOKINGS, Fault.latency(0.05))
    call = asyncio.ensure_future(desk.book("S1", name="Jane", on_late=late.append))
    await until_posted(fake)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert list(desk.outcomes) == []  # the cancellation came back at once, before the answer
    await until(lambda: bool(desk.outcomes), what="the booking's answer")

    (outcome,) = desk.outcomes
    assert (outcome.status, outcome.abandoned) == ("booked", True)
    assert outcome.for_llm()["abandoned"] is True
    assert told == late == [outcome]
    assert bookings_named(fake, "Jane") == [outcome.booking.id if outcome.booking else None]
    # The booking stands for the rest of the call: the caller's next request is answered with it.
    repeat = await desk.book("S2", name="Jane")
    assert (repeat.status, repeat.booking) == ("already_booked", outcome.booking)
    assert fake.request_count(BOOKINGS) == 1
    await desk.aclose()
    with pytest.raises(RuntimeError, match="closed"):
        await desk.book("S2")


async def test_a_caller_cancelled_before_the_post_books_nothing(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    told: list[rl.DeskResult] = []
    entered, release = asyncio.Event(), asyncio.Event()

    async def attempt_hook(event: rl.RecoveryEvent) -> None:
        if event.kind is Kind.ATTEMPT:  # the agent says "let me book that" before the POST
            entered.set()
            await release.wait()

    recovery = rl.SlotRecovery(on_event=attempt_hook)
    desk = await open_desk(fake_client, demo, on_outcome=told.append, recovery=recovery)
    await desk.offer(berlin(24, 14), berlin(24, 17))
    call = asyncio.ensure_future(desk.book("S1", name="Jane"))
    await entered.wait()
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    await desk.aclose()
    (outcome,) = told
    assert (outcome.status, outcome.reason, outcome.abandoned) == ("failed", "abandoned", True)
    assert outcome.spoken == "I didn't book Wednesday 24 March at 14:00."
    assert fake.request_count(BOOKINGS) == 0


async def test_a_caller_leaving_as_the_post_starts_is_never_told_failed_for_a_booking(
    make_wall_client: MakeClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    """The caller's cancellation lands one loop turn after the attempt begins, as the POST is
    handed to aiohttp. On Python < 3.12 aiohttp writes the body from a task of its own, after
    the desk decided to stop: the desk's stop comes too late and it must say "unknown" (the
    client's late path learns the booking). Whatever the interleaving, a booking that exists
    is never reported "failed", and the caller is never booked twice."""
    lates: list[rl.LateOutcome] = []
    client = make_wall_client(on_late_outcome=lates.append)
    loop = asyncio.get_running_loop()
    calls: list[asyncio.Future[rl.DeskResult]] = []

    def hang_up_next_turn(event: rl.RecoveryEvent) -> None:
        if event.kind is Kind.ATTEMPT:
            loop.call_soon(calls[0].cancel)

    recovery = rl.SlotRecovery(on_event=hang_up_next_turn)
    desk = await open_desk(client, demo, recovery=recovery)
    await desk.offer(berlin(24, 14), berlin(24, 17))  # the offer leaves a pooled connection
    calls.append(asyncio.ensure_future(desk.book("S1", name="Jane")))
    with pytest.raises(asyncio.CancelledError):
        await calls[0]
    await desk.aclose()
    await client.aclose()  # waits for the late answer

    (outcome,) = desk.outcomes
    held = bookings_named(fake, "Jane")
    assert outcome.abandoned
    assert fake.request_count(BOOKINGS) == len(held) <= 1
    if not held:
        assert (outcome.status, outcome.reason) == ("failed", "abandoned")
    elif outcome.status == "booked":
        assert outcome.booking is not None
        assert [outcome.booking.id] == held
    else:
        assert outcome.status == "unknown"
        assert [o.booking.id for o in lates if o.booking] == held


async def test_no_alternative_is_booked_for_a_caller_who_left(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    desk = await open_desk(fake_client, demo)
    await desk.offer(berlin(24, 14), berlin(24, 17))
    fake.race_next_bookings(1)
    call: asyncio.Future[rl.DeskResult] | None = None

    def barge_in(event: rl.RecoveryEvent) -> None:
        if event.kind is Kind.SLOT_TAKEN and call is not None:
            call.cancel()  # the caller talks over the agent as it says "that was taken"

    desk.recovery = rl.SlotRecovery(on_event=barge_in)
    call = asyncio.ensure_future(desk.book("S1", name="Jane"))
    with pytest.raises(asyncio.CancelledError):
        await call
    await desk.aclose()
    (outcome,) = desk.outcomes
    assert (outcome.status, outcome.reason, outcome.abandoned) == ("failed", "abandoned", True)
    assert fake.request_count(BOOKINGS) == 1
    assert bookings_named(fake, "Jane") == []


async def test_a_caller_who_left_mid_post_is_booked_no_alternative_when_it_lost_the_race(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    """The caller leaves while the POST is on the wire (so the desk lets it run), and its
    answer is "slot taken": recovery must not book an alternative nobody heard of."""
    told: list[rl.DeskResult] = []
    desk = await open_desk(fake_client, demo, on_outcome=told.append)
    await desk.offer(berlin(24, 14), berlin(24, 17))
    fake.race_next_bookings(1)
    fake.faults.add(BOOKINGS, Fault.latency(0.05))
    call = asyncio.ensure_future(desk.book("S1", name="Jane"))
    await until_posted(fake)
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    await desk.aclose()
    (outcome,) = told
    assert (outcome.status, outcome.reason, outcome.abandoned) == ("failed", "abandoned", True)
    assert outcome.spoken == "I didn't book Wednesday 24 March at 14:00."
    assert fake.request_count(BOOKINGS) == 1
    assert bookings_named(fake, "Jane") == []


async def test_one_duplicate_cancelled_does_not_abandon_the_other(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    desk = await open_desk(fake_client, demo)
    await desk.offer(berlin(24, 14), berlin(24, 17))
    fake.faults.add(BOOKINGS, Fault.latency(0.02))
    first = asyncio.ensure_future(desk.book("S1", name="Jane"))
    second = asyncio.ensure_future(desk.book("S1", name="Jane"))
    await until_posted(fake)
    first.cancel()
    result = await second
    assert (result.status, result.abandoned) == ("booked", False)
    assert first.cancelled()


# -- recovery, phrases and progress ---------------------------------------------------------


async def test_a_recovery_that_moved_only_the_resource_says_so(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    desk = await open_desk(
        fake_client, demo, recovery=rl.SlotRecovery(picker="same_time_any_resource")
    )
    await desk.offer(berlin(24, 14), berlin(24, 15))
    fake.race_next_bookings(1)
    result = await desk.book("S1", name="Jane")
    assert (result.status, result.recovered) == ("booked", True)
    assert result.spoken == (
        "You're booked for Wednesday 24 March at 14:00: same time, with another staff member."
    )


async def test_a_recovery_that_moved_the_time_says_the_new_time(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    said: list[str] = []

    async def say(sentence: str) -> None:
        await asyncio.sleep(0)
        said.append(sentence)

    desk = await open_desk(fake_client, demo, resource_id=demo.mitte_trainer_ids[1])
    await desk.offer(berlin(24, 14), berlin(24, 15))
    fake.race_next_bookings(1)
    result = await desk.book("S1", name="Jane", on_progress=say)
    await desk.aclose()  # an async on_progress runs on its own; aclose waits for it
    assert result.status == "booked"
    moved = desk.phrases.when(result.booking.start, BERLIN) if result.booking else ""
    assert result.spoken == f"That time was just taken, so I booked {moved} instead."
    assert said == [
        "That time was just taken. Let me find another one.",
        f"Let me try {moved} instead.",
    ]


async def test_each_give_up_reason_has_its_own_honest_sentence(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg, clock: FakeClock
) -> None:
    def out_of_time(event: rl.RecoveryEvent) -> None:
        if event.kind is Kind.SLOT_TAKEN:
            clock.advance(10)

    desk = await open_desk(
        fake_client, demo, budget=5.0, recovery=rl.SlotRecovery(on_event=out_of_time)
    )
    await desk.offer(berlin(24, 14), berlin(24, 17))
    fake.race_next_bookings(1)
    late = await desk.book("S1", name="Jane")
    assert (late.status, late.reason) == ("failed", "deadline")
    assert late.spoken == "The time ran out before I could book Wednesday 24 March at 14:00."

    taken = await open_desk(fake_client, demo, recovery=rl.SlotRecovery(max_attempts=1))
    await taken.offer(berlin(24, 14), berlin(24, 17))
    fake.race_next_bookings(1)
    result = await taken.book("S1", name="Jane")
    assert (result.status, result.reason) == ("alternatives", "max_attempts")
    # One POST, nothing else tried: the caller is not told other times were taken too.
    assert result.spoken.startswith("That slot was just taken. I can offer")
    assert result.spoken.endswith(
        # Nearest first; both trainers now hold 14:00-15:00, so 13:30 and 14:30 are gone too.
        "I can offer Wednesday 24 March at 13:00, Wednesday 24 March at 15:00 or "
        "Wednesday 24 March at 12:30."
    )
    llm = result.for_llm()
    assert llm["status"] == "alternatives"
    assert llm["alternatives"][0] == {"id": "S4", "spoken": "Wednesday 24 March at 13:00"}
    assert [a["id"] for a in llm["alternatives"]] == ["S4", "S3", "S5"]  # 15:00 was offered
    # An alternative's id books it.
    booked = await taken.book("S4", name="Jane")
    assert booked.booking is not None
    assert booked.booking.start == berlin(24, 13)
    assert fake.request_count(AVAILABILITY) == 3  # offers twice, one refetch


def test_the_give_up_sentences_are_each_reasons_own() -> None:
    phrases = rl.Phrases()
    when = "Wednesday 24 March at 14:00"
    reasons = ["deadline", "no_candidate", "declined", "refetch_failed", "error", "abandoned"]
    sentences = [phrases.give_up(reason, when, posts=2) for reason in reasons]
    sentences += [phrases.give_up("max_attempts", when, posts=n) for n in (1, 2)]
    assert len(set(sentences)) == len(sentences)
    assert sentences[-2:] == [
        "That slot was just taken.",
        "That slot was just taken, and so were the other times I tried.",
    ]
    assert "taken" not in phrases.give_up("deadline", when)  # running out of time is not that


async def test_phrases_are_replaceable(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    german = rl.Phrases(
        weekdays=("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
        months=tuple(f"{n}." for n in range(1, 13)),
        when_format="{weekday}, {day}.{month} um {time} Uhr",
        booked="Sie sind für {when} gebucht.",
    )
    desk = await open_desk(fake_client, demo, phrases=german)
    (offer, *_) = await desk.offer(berlin(24, 14), berlin(24, 17))
    assert offer.spoken == "Mittwoch, 24.3. um 14:00 Uhr"
    result = await desk.book(offer.id)
    assert result.spoken == "Sie sind für Mittwoch, 24.3. um 14:00 Uhr gebucht."


async def test_a_slow_async_progress_hook_does_not_hold_up_the_booking(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    release = asyncio.Event()

    async def slow_say(sentence: str) -> None:
        await release.wait()  # speech that outlasts the booking (awaited, it would block it)

    desk = await open_desk(fake_client, demo, budget=5.0)
    await desk.offer(berlin(24, 14), berlin(24, 17))
    fake.race_next_bookings(1)
    result = await desk.book("S1", name="Jane", on_progress=slow_say)
    assert result.status == "booked"
    closing = asyncio.ensure_future(desk.aclose())
    await asyncio.sleep(0)
    assert not closing.done()  # aclose waits for the hook
    release.set()
    await closing


def test_bad_configuration_is_refused_before_any_io(make_client: MakeClient) -> None:
    client = make_client()  # never used for I/O
    calendar = rl.Calendar(id=rl.Id("c1"), tzdata="Europe/Berlin")
    with pytest.raises(ValueError, match="budget"):
        rl.BookingDesk(client, calendar=calendar, appointment_type_id="t", budget=0)
    with pytest.raises(ValueError, match="max_offers"):
        rl.BookingDesk(client, calendar=calendar, appointment_type_id="t", max_offers=0)
    with pytest.raises(ValueError, match="tzdata"):
        rl.BookingDesk(client, calendar=rl.Calendar(id=rl.Id("c1")), appointment_type_id="t")
    with pytest.raises(TypeError, match="calendar"):
        rl.BookingDesk(client, calendar="c1", appointment_type_id="t")  # type: ignore[arg-type]


async def test_the_budget_bounds_the_whole_booking_and_the_answer_is_honest(
    make_wall_client: MakeClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    """The server commits but answers late, past the budget: the desk answers ``unknown``
    (never "booked", never "failed") when the budget is spent, before a framework's tool
    timeout of budget + margin."""
    budget = 0.15
    fake.faults.add(BOOKINGS, Fault.latency(2.0, commit=True))  # dropped when the test ends
    client = make_wall_client()  # the budget runs out in real time
    recovery = rl.SlotRecovery(min_attempt_time=0.05)
    desk = await open_desk(client, demo, budget=budget, recovery=recovery)
    await desk.offer(berlin(24, 14), berlin(24, 17))
    started = time.monotonic()
    result = await desk.book("S1", name="Jane")
    took = time.monotonic() - started
    await desk.aclose()
    assert result.status == "unknown"
    assert budget <= took < budget + 0.1
    assert bookings_named(fake, "Jane") != []  # it did commit: "unknown" was the honest answer
