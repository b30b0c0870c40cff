"""``client.bookings.book`` against FakeRocketLead: lost races, pickers, confirm, events."""

from __future__ import annotations

import logging
import random
from collections.abc import Sequence
from datetime import timedelta

import pytest

import rocketlead_async as rl
from rocketlead_async.recovery import rank_candidates
from rocketlead_async.testing import DemoOrg, FakeRocketLead
from tests.helpers.demo import (
    ANNA,
    AVAILABILITY,
    BEN,
    BOOKINGS,
    POPULAR,
    berlin,
    bookings_named,
    trainer_request,
    unrace,
    where,
)
from tests.helpers.recorders import Events

Kind = rl.RecoveryEventKind
WINDOW = timedelta(hours=3)  # SlotRecovery's default


async def bookable_now(
    fake_client: rl.RocketLeadClient, request: rl.BookingRequest, window: timedelta
) -> list[rl.Slot]:
    """What a fresh availability fetch offers around ``request`` (same type and duration)."""
    assert request.appointment_type_id is not None
    availability = await fake_client.availability.get(
        calendar_id=request.calendar_id,
        appointment_type_id=request.appointment_type_id,
        start=request.start - window,
        end=request.end + window,
    )
    return [s for s in availability.bookable() if s.duration == request.end - request.start]


async def test_the_requested_slot_is_booked_without_recovery(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg, events: Events
) -> None:
    request = trainer_request(demo)
    outcome = await fake_client.bookings.book(
        request, recovery=rl.SlotRecovery(on_event=events.hook)
    )
    assert where(outcome.booking) == where(request)
    assert outcome.recovered is False
    assert outcome.original_request is request
    assert [a.error for a in outcome.attempts] == [None]
    assert events.steps == [("attempt", 1), ("sent", 1), ("booked", 1)]
    assert fake.request_count(AVAILABILITY) == 0


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync_hook", "async_hook"])
async def test_one_race_then_the_nearest_slot(
    fake_client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    events: Events,
    asynchronous: bool,
) -> None:
    fake.race_next_bookings(1)
    request = trainer_request(demo)
    hook = events.async_hook if asynchronous else events.hook
    outcome = await fake_client.bookings.book(
        request, recovery=rl.SlotRecovery(on_event=hook, spread=1)
    )

    # Ben's 14:30 and 15:30 overlap the raced 15:00; 14:00 and 16:00 tie, the earlier wins.
    assert where(outcome.booking) == (demo.mitte_trainer_ids[BEN], berlin(24, 14))
    assert outcome.recovered is True
    assert outcome.original_request is request
    first, second = outcome.attempts
    assert first.request is request
    assert isinstance(first.error, rl.SlotUnavailableError)
    assert second.error is None
    assert where(second.request) == where(outcome.booking)
    assert second.request.name == request.name
    assert bookings_named(fake, "Caller") == [outcome.booking.id]
    assert fake.request_count(BOOKINGS) == 2
    assert fake.request_count(AVAILABILITY) == 1

    assert events.steps == [
        ("attempt", 1),
        ("sent", 1),
        ("slot_taken", 1),
        ("refetched", 1),
        ("picked", 1),
        ("attempt", 2),
        ("sent", 2),
        ("booked", 2),
    ]
    attempt_1, _sent_1, taken, refetched, picked, attempt_2, _sent_2, booked = events.seen
    assert attempt_1.slot is None
    assert taken.slot is None
    assert refetched.candidates is not None
    assert refetched.candidates > 0
    assert picked.slot is not None
    assert where(picked.slot) == where(outcome.booking)
    assert attempt_2.slot == picked.slot
    assert booked.slot == picked.slot
    assert booked.booking == outcome.booking
    assert all(event.elapsed >= 0 for event in events.seen)


async def test_races_on_every_candidate_exhaust_with_fresh_alternatives(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg, events: Events
) -> None:
    def race_then_free(event: rl.RecoveryEvent) -> None:
        events.hook(event)
        if event.kind is Kind.SLOT_TAKEN:
            unrace(fake)  # the lost slot looks bookable again: it must still not be retried

    fake.race_next_bookings(3)
    request = trainer_request(demo)
    with pytest.raises(rl.SlotRecoveryExhausted) as caught:
        await fake_client.bookings.book(request, recovery=rl.SlotRecovery(on_event=race_then_free))

    exhausted = caught.value
    assert exhausted.reason == "max_attempts"
    assert len(exhausted.attempts) == 3
    assert all(isinstance(a.error, rl.SlotUnavailableError) for a in exhausted.attempts)
    tried = [where(a.request) for a in exhausted.attempts]
    assert len(set(tried)) == 3
    assert tried[0] == where(request)
    assert fake.request_count(BOOKINGS) == 3
    assert fake.request_count(AVAILABILITY) == 3

    # Fresh, ranked, and without the tried slots, although these are bookable again.
    fresh = await bookable_now(fake_client, request, WINDOW)
    assert set(tried) <= {where(s) for s in fresh}
    expected = [s for s in rank_candidates("nearest", request, fresh) if where(s) not in tried]
    assert list(exhausted.alternatives) == expected
    assert expected

    assert bookings_named(fake, "Caller") == []
    assert events.steps == [
        ("attempt", 1),
        ("sent", 1),
        ("slot_taken", 1),
        ("refetched", 1),
        ("picked", 1),
        ("attempt", 2),
        ("sent", 2),
        ("slot_taken", 2),
        ("refetched", 2),
        ("picked", 2),
        ("attempt", 3),
        ("sent", 3),
        ("slot_taken", 3),
        ("refetched", 3),
        ("gave_up", 3),
    ]
    assert events.seen[-1].reason == "max_attempts"


async def test_the_pinned_resource_is_kept(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    # Anna is already booked at the popular hour; unpinned, Ben's 15:00 would be nearest.
    request = trainer_request(demo, trainer=ANNA)
    outcome = await fake_client.bookings.book(
        request, recovery=rl.SlotRecovery(pin_resource=True, spread=1)
    )
    assert where(outcome.booking) == (demo.mitte_trainer_ids[ANNA], berlin(24, 14))
    assert outcome.recovered is True


@pytest.mark.parametrize(
    ("picker", "trainer", "race", "booked"),
    [
        ("nearest", BEN, True, (BEN, berlin(24, 14))),
        ("nearest", ANNA, False, (BEN, POPULAR)),  # the closest start beats the same resource
        ("next_after", BEN, True, (BEN, berlin(24, 16))),
        ("same_time_any_resource", ANNA, False, (BEN, POPULAR)),
    ],
)
async def test_each_named_pickers_choice(
    fake_client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    picker: rl.recovery.PickerName,
    trainer: int,
    race: bool,
    booked: tuple[int, object],
) -> None:
    fake.race_next_bookings(1 if race else 0)
    outcome = await fake_client.bookings.book(
        trainer_request(demo, trainer=trainer), recovery=rl.SlotRecovery(picker=picker, spread=1)
    )
    resource, start = booked
    assert where(outcome.booking) == (demo.mitte_trainer_ids[resource], start)


async def test_same_time_any_resource_gives_up_when_the_hour_is_full(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    fake.race_next_bookings(1)  # Ben's seat goes; Anna's was gone already
    with pytest.raises(rl.SlotRecoveryExhausted) as caught:
        await fake_client.bookings.book(
            trainer_request(demo), recovery=rl.SlotRecovery(picker="same_time_any_resource")
        )
    assert caught.value.reason == "no_candidate"
    assert caught.value.alternatives == ()
    assert fake.request_count(BOOKINGS) == 1


async def test_window_and_bounds_limit_the_search(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    fake.race_next_bookings(1)
    # Nearest would be 14:00; not_before excludes it, not_after excludes 16:30 and later.
    policy = rl.SlotRecovery(not_before=berlin(24, 14, 30), not_after=berlin(24, 17), spread=1)
    outcome = await fake_client.bookings.book(trainer_request(demo), recovery=policy)
    assert where(outcome.booking) == (demo.mitte_trainer_ids[BEN], berlin(24, 16))


async def test_a_narrow_window_has_no_candidate(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    fake.race_next_bookings(1)
    # Within 30 minutes every slot overlaps a 15:00 booking.
    policy = rl.SlotRecovery(window=timedelta(minutes=30))
    with pytest.raises(rl.SlotRecoveryExhausted) as caught:
        await fake_client.bookings.book(trainer_request(demo), recovery=policy)
    assert caught.value.reason == "no_candidate"
    assert caught.value.alternatives == ()


async def test_a_callable_picker_gets_the_original_and_ranked_candidates(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    seen: list[tuple[rl.BookingRequest, list[rl.Slot]]] = []

    def latest(request: rl.BookingRequest, candidates: Sequence[rl.Slot]) -> rl.Slot | None:
        seen.append((request, list(candidates)))
        return max(candidates, key=lambda s: s.start)

    fake.race_next_bookings(1)
    request = trainer_request(demo)
    outcome = await fake_client.bookings.book(request, recovery=rl.SlotRecovery(picker=latest))

    [(given, candidates)] = seen
    assert given is request
    assert candidates
    assert candidates == rank_candidates("nearest", request, candidates)
    assert all(s.has_room and s.duration == timedelta(hours=1) for s in candidates)
    assert where(request) not in {where(s) for s in candidates}
    assert where(outcome.booking) == where(max(candidates, key=lambda s: s.start))


async def test_a_callable_picker_returning_none_gives_up(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg, events: Events
) -> None:
    offered: list[rl.Slot] = []

    def refuse(_request: rl.BookingRequest, candidates: Sequence[rl.Slot]) -> rl.Slot | None:
        offered.extend(candidates)
        return None

    fake.race_next_bookings(1)
    with pytest.raises(rl.SlotRecoveryExhausted) as caught:
        await fake_client.bookings.book(
            trainer_request(demo), recovery=rl.SlotRecovery(picker=refuse, on_event=events.hook)
        )
    assert caught.value.reason == "no_candidate"
    assert list(caught.value.alternatives) == offered
    assert offered
    assert fake.request_count(BOOKINGS) == 1
    assert events.steps[-2:] == [("refetched", 1), ("gave_up", 1)]


async def test_spread_picks_among_the_k_best_by_free_seats_with_the_seeded_rng(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    request = trainer_request(demo)
    fake.fill_slot(demo.mitte_trainer_ids[BEN], request.start, request.end)
    ranked = rank_candidates("nearest", request, await bookable_now(fake_client, request, WINDOW))
    best = ranked[:3]
    picks = set()
    for seed in range(8):
        policy = rl.SlotRecovery(spread=3, rng=random.Random(seed))
        outcome = await fake_client.bookings.book(request, recovery=policy)
        seats = [slot.max_parallel_bookings - slot.current_bookings for slot in best]
        expected = random.Random(seed).choices(best, weights=seats)[0]
        assert where(outcome.booking) == where(expected)
        picks.add(where(expected))
        del fake.state.bookings[outcome.booking.id]  # the next seed sees the same state
    assert len(picks) > 1


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync_confirm", "async_confirm"])
async def test_confirm_refusing_books_nothing_and_returns_the_alternatives(
    fake_client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    events: Events,
    asynchronous: bool,
) -> None:
    asked: list[tuple[rl.BookingRequest, rl.Slot]] = []

    def no(original: rl.BookingRequest, alternative: rl.Slot) -> bool:
        asked.append((original, alternative))
        return False

    async def async_no(original: rl.BookingRequest, alternative: rl.Slot) -> bool:
        return no(original, alternative)

    fake.race_next_bookings(1)
    request = trainer_request(demo)
    policy = rl.SlotRecovery(
        confirm=async_no if asynchronous else no, on_event=events.hook, spread=1
    )
    with pytest.raises(rl.SlotRecoveryExhausted) as caught:
        await fake_client.bookings.book(request, recovery=policy)

    [(original, alternative)] = asked
    assert original is request
    assert where(alternative) == (demo.mitte_trainer_ids[BEN], berlin(24, 14))
    assert caught.value.reason == "declined"
    assert caught.value.alternatives[0] == alternative
    assert len(caught.value.attempts) == 1
    assert bookings_named(fake, "Caller") == []
    assert fake.request_count(BOOKINGS) == 1
    assert events.steps[-2:] == [("picked", 1), ("gave_up", 1)]


async def test_confirm_accepting_books_the_alternative(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    asked: list[rl.Slot] = []

    async def yes(_original: rl.BookingRequest, alternative: rl.Slot) -> bool:
        asked.append(alternative)
        return True

    request = trainer_request(demo)
    assert (await fake_client.bookings.book(request, recovery=rl.SlotRecovery(confirm=yes))).booking
    assert asked == []  # the requested slot itself needs no confirmation

    fake.race_next_bookings(1)
    later = trainer_request(demo, start=berlin(24, 10), name="Second caller")
    outcome = await fake_client.bookings.book(later, recovery=rl.SlotRecovery(confirm=yes))
    [alternative] = asked
    assert where(outcome.booking) == where(alternative)
    assert outcome.recovered is True


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync_hook", "async_hook"])
async def test_a_failing_on_event_does_not_break_booking(
    fake_client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    caplog: pytest.LogCaptureFixture,
    asynchronous: bool,
) -> None:
    def broken(_event: rl.RecoveryEvent) -> None:
        raise RuntimeError("speaker unplugged")

    async def async_broken(event: rl.RecoveryEvent) -> None:
        broken(event)

    fake.race_next_bookings(1)
    policy = rl.SlotRecovery(on_event=async_broken if asynchronous else broken)
    with caplog.at_level(logging.ERROR, logger="rocketlead_async"):
        outcome = await fake_client.bookings.book(trainer_request(demo), recovery=policy)
    assert outcome.recovered is True
    assert bookings_named(fake, "Caller") == [outcome.booking.id]
    failures = [r for r in caplog.records if "on_event failed" in r.getMessage()]
    assert len(failures) == 6  # attempt, slot_taken, refetched, picked, attempt, booked
