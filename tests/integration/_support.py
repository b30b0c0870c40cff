"""Shared helpers of the integration suite: the SDK against a FakeRocketLead over loopback."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.helpers.clients import MakeClient as MakeClient  # re-exported for the suite's modules

import rocketlead_async as rl
from rocketlead_async.testing import DemoOrg, FakeRocketLead

BERLIN = ZoneInfo("Europe/Berlin")
BOOKINGS = "POST /connect/calendar_bookings/"
BOOKING_ITEM = "DELETE /connect/calendar_bookings/{id}"
LEADS = "POST /connect/table_entries/"
CALENDARS = "GET /connect/calendar/"
AVAILABILITY = "GET /connect/availability/"
SLOT_TAKEN = "The selected time slot is no longer available"


def berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in Berlin in March 2027 (the demo week is 22nd-29th)."""
    return datetime(2027, 3, day, hour, minute, tzinfo=BERLIN)


class Sleeps:
    """An injected ``sleep``: records every wait the SDK asks for and waits for none of them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        await asyncio.sleep(0)


def trainer_request(
    demo: DemoOrg, start: datetime, name: str, *, trainer: int = 1
) -> rl.BookingRequest:
    """A one-hour Personal Training with a Mitte trainer (Ben by default: no lunch blocker)."""
    return rl.BookingRequest(
        calendar_id=demo.mitte_calendar_id,
        start=start,
        end=start + timedelta(hours=1),
        resource_id=demo.mitte_trainer_ids[trainer],
        appointment_type_id=demo.personal_training_type_id,
        name=name,
    )


def booking_ids_named(fake: FakeRocketLead, name: str) -> list[str]:
    """Ids of the bookings the fake holds under that name."""
    return [b.id for b in fake.state.bookings.values() if b.name == name]
