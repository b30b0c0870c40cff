"""Landmarks of FakeRocketLead's demo organization (seed 0) and requests against it."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import rocketlead_async as rl
from rocketlead_async.testing import DemoOrg, FakeRocketLead

BERLIN = ZoneInfo("Europe/Berlin")
BOOKINGS = "POST /connect/calendar_bookings/"
BOOKING_ITEM = "DELETE /connect/calendar_bookings/{id}"
LEADS = "POST /connect/table_entries/"
CALENDARS = "GET /connect/calendar/"
AVAILABILITY = "GET /connect/availability/"
SLOT_TAKEN = "The selected time slot is no longer available"
# The name FakeRocketLead gives the bookings "another caller" makes for an injected race.
RACE_CALLER = "Walk-in (race)"
ANNA, BEN = 0, 1  # indexes into demo.mitte_trainer_ids


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Berlin in March 2027 (the demo week is the 22nd to the 29th).

    On Wed the 24th Anna is booked 15:00-16:00 (the popular hour) and at lunch 12:00-13:00;
    Ben is free 09:00-18:00 (no lunch blocker). Personal Training lasts 60 min on a 30-min grid.
    """
    return datetime(2027, 3, day, hour, minute, tzinfo=BERLIN)


POPULAR = berlin(24, 15)


def trainer_request(
    demo: DemoOrg, start: datetime = POPULAR, name: str = "Caller", *, trainer: int = BEN
) -> rl.BookingRequest:
    """A one-hour Personal Training with a Mitte trainer (Ben unless ``trainer`` says)."""
    return rl.BookingRequest(
        calendar_id=demo.mitte_calendar_id,
        start=start,
        end=start + timedelta(hours=1),
        resource_id=demo.mitte_trainer_ids[trainer],
        appointment_type_id=demo.personal_training_type_id,
        name=name,
    )


def lead_request(demo: DemoOrg, tag: str) -> rl.LeadRequest:
    """A lead in the demo table whose first name is ``tag`` (so ``leads_tagged`` finds it)."""
    return rl.LeadRequest(
        table_id=demo.table_id,
        data={"firstName": {"value": tag}},
        lead_state_id=demo.default_lead_state_id,
    )


def where(slot: rl.Slot | rl.Booking | rl.BookingRequest) -> tuple[str | None, datetime]:
    """(resource id, start) of a slot, booking or request, for readable assertions."""
    return (slot.resource_id, slot.start)


def bookings_named(fake: FakeRocketLead, name: str) -> list[str]:
    """Ids of the bookings the fake holds under ``name``."""
    return [b.id for b in fake.state.bookings.values() if b.name == name]


def leads_tagged(fake: FakeRocketLead, tag: str) -> list[str]:
    """Ids of the leads the fake holds whose first name is ``tag``."""
    return [
        entry_id
        for entry_id, entry in fake.state.entries.items()
        if entry.data.get("firstName") == {"value": tag}
    ]


def unrace(fake: FakeRocketLead) -> None:
    """Take back the bookings of injected races, so a slot that was "taken" shows as bookable
    again (recovery must still never retry it)."""
    for booking_id in bookings_named(fake, RACE_CALLER):
        del fake.state.bookings[booking_id]
