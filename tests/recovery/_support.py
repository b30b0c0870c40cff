"""Shared helpers of the recovery suite: demo landmarks, a settable clock, an event recorder."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import rocketlead_async as rl
from rocketlead_async.testing import DemoOrg, FakeRocketLead

BERLIN = ZoneInfo("Europe/Berlin")
BOOKINGS = "POST /connect/calendar_bookings/"
AVAILABILITY = "GET /connect/availability/"
# The name FakeRocketLead gives the bookings "another caller" makes for an injected race.
RACE_CALLER = "Walk-in (race)"
ANNA, BEN = 0, 1  # indexes into demo.mitte_trainer_ids


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Berlin in March 2027 (the demo week is the 22nd to the 29th).

    On Wed the 24th Anna is booked 15:00-16:00 (the popular hour) and at lunch 12:00-13:00;
    Ben is free 09:00-18:00. Personal Training lasts 60 min on a 30-min grid.
    """
    return datetime(2027, 3, day, hour, minute, tzinfo=BERLIN)


POPULAR = berlin(24, 15)


def trainer_request(
    demo: DemoOrg, trainer: int = BEN, start: datetime = POPULAR, name: str = "Caller"
) -> rl.BookingRequest:
    """A one-hour Personal Training with a Mitte trainer."""
    return rl.BookingRequest(
        calendar_id=demo.mitte_calendar_id,
        start=start,
        end=start + timedelta(hours=1),
        resource_id=demo.mitte_trainer_ids[trainer],
        appointment_type_id=demo.personal_training_type_id,
        name=name,
    )


def where(slot: rl.Slot | rl.Booking | rl.BookingRequest) -> tuple[str | None, datetime]:
    """(resource id, start) of a slot, booking or request, for readable assertions."""
    return (slot.resource_id, slot.start)


def bookings_named(fake: FakeRocketLead, name: str) -> list[str]:
    """Ids of the bookings the fake holds under ``name``."""
    return [b.id for b in fake.state.bookings.values() if b.name == name]


def unrace(fake: FakeRocketLead) -> None:
    """Take back the bookings of injected races, so a slot that was "taken" shows as bookable
    again: recovery must still never retry it."""
    for booking_id in bookings_named(fake, RACE_CALLER):
        del fake.state.bookings[booking_id]


class Clock:
    """A monotonic clock for the client that moves only when the SDK sleeps or a test says."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, delay: float) -> None:
        self.now += max(0.0, delay)
        await asyncio.sleep(0)


class Events:
    """Records ``on_event`` calls; ``hook`` is sync, ``async_hook`` async."""

    def __init__(self) -> None:
        self.seen: list[rl.RecoveryEvent] = []

    def hook(self, event: rl.RecoveryEvent) -> None:
        self.seen.append(event)

    async def async_hook(self, event: rl.RecoveryEvent) -> None:
        await asyncio.sleep(0)
        self.seen.append(event)

    @property
    def steps(self) -> list[tuple[str, int]]:
        """(kind, attempt) of every event, in order."""
        return [(event.kind.value, event.attempt) for event in self.seen]

    def of(self, kind: rl.RecoveryEventKind) -> list[rl.RecoveryEvent]:
        return [event for event in self.seen if event.kind is kind]
