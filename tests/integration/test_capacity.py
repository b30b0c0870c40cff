"""Capacity, the injected slot race, and the DST week, through the SDK."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta, timezone

import pytest

import rocketlead_async as rl
from rocketlead_async.testing import DemoOrg, FakeRocketLead

from ._support import BERLIN, BOOKINGS, SLOT_TAKEN, berlin, booking_ids_named, trainer_request


async def _group_slot(client: rl.RocketLeadClient, demo: DemoOrg, start: datetime) -> rl.Slot:
    av = await client.availability.get(
        calendar_id=demo.mitte_calendar_id,
        appointment_type_id=demo.group_class_type_id,
        start=start,
        end=start + timedelta(hours=1),
    )
    (slot,) = av.slots
    return slot


async def test_group_class_takes_eight_and_refuses_the_ninth(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    slot = await _group_slot(client, demo, berlin(23, 17))
    assert (slot.max_parallel_bookings, slot.current_bookings) == (8, 0)
    booked = [
        await client.bookings.create(
            rl.BookingRequest.from_slot(slot, calendar_id=demo.mitte_calendar_id, name=f"P{n}")
        )
        for n in range(8)
    ]
    assert len({b.id for b in booked}) == 8
    assert all(b.resource_slot_id == slot.resource_slot_id for b in booked)

    ninth = rl.BookingRequest.from_slot(slot, calendar_id=demo.mitte_calendar_id, name="P8")
    with pytest.raises(rl.SlotUnavailableError) as caught:
        await client.bookings.create(ninth)
    error = caught.value
    assert isinstance(error, rl.BadRequestError)
    assert error.status == 400
    assert error.message == SLOT_TAKEN
    assert error.body == {"statusCode": 400, "message": SLOT_TAKEN}
    assert booking_ids_named(fake, "P8") == []
    assert fake.request_count(BOOKINGS) == 9  # the refused POST was not repeated

    full = await _group_slot(client, demo, berlin(23, 17))
    assert (full.current_bookings, full.available, full.has_room) == (8, False, False)


async def test_seeded_group_class_has_six_seats_left(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    slot = await _group_slot(client, demo, berlin(24, 18))
    assert (slot.current_bookings, slot.available) == (2, True)
    request = rl.BookingRequest.from_slot(slot, calendar_id=demo.mitte_calendar_id, name="Late")
    for _ in range(6):
        await client.bookings.create(request)
    with pytest.raises(rl.SlotUnavailableError, match=f"-> 400: {SLOT_TAKEN}$"):
        await client.bookings.create(request)
    assert len(booking_ids_named(fake, "Late")) == 6


async def test_trainer_slot_takes_one(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    first = await client.bookings.create(trainer_request(demo, berlin(25, 10), "First"))
    assert first.resource_id == demo.mitte_trainer_ids[1]
    with pytest.raises(rl.SlotUnavailableError) as caught:
        await client.bookings.create(trainer_request(demo, berlin(25, 10), "Second"))
    assert caught.value.message == SLOT_TAKEN
    # A half-overlapping hour on the same trainer is taken too; the other trainer is free.
    with pytest.raises(rl.SlotUnavailableError):
        await client.bookings.create(trainer_request(demo, berlin(25, 10, 30), "Overlap"))
    await client.bookings.create(trainer_request(demo, berlin(25, 10), "Anna's", trainer=0))
    assert booking_ids_named(fake, "Second") == booking_ids_named(fake, "Overlap") == []


async def test_seeded_popular_hour_is_full_for_anna(
    client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    with pytest.raises(rl.SlotUnavailableError):
        await client.bookings.create(trainer_request(demo, demo.popular_start, "Anna", trainer=0))
    booking = await client.bookings.create(trainer_request(demo, demo.popular_start, "Ben"))
    assert booking.start == demo.popular_start


async def test_injected_race_reaches_the_caller_as_slot_unavailable(
    client: rl.RocketLeadClient,
    fake: FakeRocketLead,
    demo: DemoOrg,
    unknowns: list[rl.OutcomeUnknownError],
) -> None:
    av = await client.availability.get(
        calendar_id=demo.mitte_calendar_id,
        appointment_type_id=demo.personal_training_type_id,
        start=berlin(26, 16),
        end=berlin(26, 17),
        resource_id=demo.mitte_trainer_ids[1],
    )
    (slot,) = av.bookable()
    fake.race_next_bookings()
    request = rl.BookingRequest.from_slot(slot, calendar_id=demo.mitte_calendar_id, name="Loser")
    with pytest.raises(rl.SlotUnavailableError) as caught:
        await client.bookings.create(request)
    assert caught.value.message == SLOT_TAKEN
    assert fake.races_pending == 0
    assert fake.request_count(BOOKINGS) == 1
    assert booking_ids_named(fake, "Loser") == []
    assert len(booking_ids_named(fake, "Walk-in (race)")) == 1
    assert unknowns == []  # a clear 400: the caller is certainly not booked

    again = await client.availability.get(
        calendar_id=demo.mitte_calendar_id,
        appointment_type_id=demo.personal_training_type_id,
        start=berlin(26, 16),
        end=berlin(26, 17),
        resource_id=demo.mitte_trainer_ids[1],
    )
    assert again.bookable() == []
    # The race was one-shot: the next booking of another slot goes through.
    await client.bookings.create(trainer_request(demo, berlin(26, 9), "Winner"))
    assert len(booking_ids_named(fake, "Winner")) == 1


async def test_filled_slot_reaches_the_caller_as_slot_unavailable(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    slot = await _group_slot(client, demo, berlin(27, 19))
    fake.fill_slot(demo.group_class_resource_id, slot.start, slot.end)
    with pytest.raises(rl.SlotUnavailableError):
        await client.bookings.create(
            rl.BookingRequest.from_slot(slot, calendar_id=demo.mitte_calendar_id)
        )


# -- the DST week -------------------------------------------------------------------------------


async def test_dst_week_slots_have_the_right_utc_instants(
    client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    ben = demo.mitte_trainer_ids[1]
    av = await client.availability.get(
        calendar_id=demo.mitte_calendar_id,
        appointment_type_id=demo.personal_training_type_id,
        start=demo.week_start,
        end=demo.week_end,
        resource_id=ben,
    )
    by_day: defaultdict[date, list[rl.Slot]] = defaultdict(list)
    for slot in av.slots:
        assert slot.start.tzinfo is not None
        assert slot.start.utcoffset() is not None
        assert slot.end.tzinfo is not None
        by_day[slot.start.astimezone(BERLIN).date()].append(slot)
    assert sorted(by_day) == [date(2027, 3, d) for d in range(22, 30)]
    for day, slots in by_day.items():
        # Every day 09:00-18:00 Berlin: starts 09:00 ... 17:00 every 30 minutes.
        assert len(slots) == 17, day
        local = [s.start.astimezone(BERLIN) for s in slots]
        assert (local[0].hour, local[0].minute) == (9, 0)
        assert (local[-1].hour, local[-1].minute) == (17, 0)
        assert all(s.end - s.start == timedelta(hours=1) for s in slots)
        # 09:00 Berlin is 08:00Z in CET (before Sun 28th) and 07:00Z in CEST (from it on).
        utc_hour = 8 if day < date(2027, 3, 28) else 7
        assert slots[0].start == datetime(
            day.year, day.month, day.day, utc_hour, tzinfo=timezone.utc
        )
    assert by_day[date(2027, 3, 27)][0].start == datetime(2027, 3, 27, 8, tzinfo=timezone.utc)
    assert by_day[date(2027, 3, 28)][0].start == datetime(2027, 3, 28, 7, tzinfo=timezone.utc)
    assert by_day[date(2027, 3, 28)][-1].end == datetime(2027, 3, 28, 16, tzinfo=timezone.utc)


async def test_booking_on_the_dst_switch_day(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    ben = demo.mitte_trainer_ids[1]
    switch = berlin(28, 9)
    assert switch.utcoffset() == timedelta(hours=2)
    av = await client.availability.get(
        calendar_id=demo.mitte_calendar_id,
        appointment_type_id=demo.personal_training_type_id,
        start=switch,
        end=switch + timedelta(hours=1),
        resource_id=ben,
    )
    (slot,) = av.bookable()
    assert slot.start == datetime(2027, 3, 28, 7, tzinfo=timezone.utc)
    booking = await client.bookings.create(
        rl.BookingRequest.from_slot(slot, calendar_id=demo.mitte_calendar_id, name="Sunday")
    )
    assert booking.start == datetime(2027, 3, 28, 7, tzinfo=timezone.utc)
    assert booking.end == datetime(2027, 3, 28, 8, tzinfo=timezone.utc)
    assert booking.start.astimezone(BERLIN).hour == 9
    assert fake.state.bookings[booking.id].start == switch

    # A request built in Berlin wall time (sent with its +02:00 offset) names the same instant.
    with pytest.raises(rl.SlotUnavailableError):
        await client.bookings.create(trainer_request(demo, switch, "Sunday again"))
    # The day before, 09:00 Berlin is a different instant (08:00Z) and still free.
    saturday = await client.bookings.create(trainer_request(demo, berlin(27, 9), "Saturday"))
    assert saturday.start == datetime(2027, 3, 27, 8, tzinfo=timezone.utc)
