"""The SDK against the shipped FakeRocketLead: every endpoint's real answer decodes into its
typed model, the voice-agent flow runs end to end, and a taken slot reaches the caller as
``SlotUnavailableError``.

What each call sends is proven against a scripted server (``test_endpoints.py``) and what the
fake answers over raw HTTP in ``tests/fake``; this file proves the two agree.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

import rocketlead_async as rl
from rocketlead_async.testing import DemoOrg, FakeRocketLead
from tests.helpers.clients import MakeClient
from tests.helpers.demo import BERLIN, BOOKINGS, RACE_CALLER, SLOT_TAKEN, berlin, bookings_named
from tests.helpers.recorders import Unknowns


@attrs.frozen
class Lookup:
    """A lookup call and the ids of the demo organization's objects it must return."""

    name: str
    call: Callable[[rl.RocketLeadClient, DemoOrg], Awaitable[Any]]
    model: type[Any]
    ids: Callable[[DemoOrg], list[str]]


LOOKUPS = [
    Lookup(
        "calendars.list",
        lambda c, d: c.calendars.list(),
        rl.Calendar,
        lambda d: [d.mitte_calendar_id, d.kreuzberg_calendar_id],
    ),
    Lookup(
        "calendars.get",
        lambda c, d: c.calendars.get(d.mitte_calendar_id),
        rl.Calendar,
        lambda d: [d.mitte_calendar_id],
    ),
    Lookup(
        "resources.list", lambda c, d: c.resources.list(), rl.Resource, lambda d: [*d.resource_ids]
    ),
    Lookup(
        "resources.get",
        lambda c, d: c.resources.get(d.group_class_resource_id),
        rl.Resource,
        lambda d: [d.group_class_resource_id],
    ),
    Lookup(
        "appointment_types.list",
        lambda c, d: c.appointment_types.list(),
        rl.AppointmentType,
        lambda d: [d.personal_training_type_id, d.group_class_type_id, d.trial_session_type_id],
    ),
    Lookup(
        "appointment_types.get",
        lambda c, d: c.appointment_types.get(d.trial_session_type_id),
        rl.AppointmentType,
        lambda d: [d.trial_session_type_id],
    ),
    Lookup("tables.list", lambda c, d: c.tables.list(), rl.Table, lambda d: [d.table_id]),
    Lookup("tables.get", lambda c, d: c.tables.get(d.table_id), rl.Table, lambda d: [d.table_id]),
    Lookup(
        "resource_slot_blockers.list",
        lambda c, d: c.resource_slot_blockers.list(calendar_id=d.mitte_calendar_id),
        rl.ResourceSlotBlocker,
        lambda d: [*d.lunch_blocker_ids[:8]],
    ),
]


@pytest.mark.parametrize("lookup", LOOKUPS, ids=lambda lookup: lookup.name)
async def test_each_lookup_decodes_the_fakes_answer(
    fake_client: rl.RocketLeadClient, demo: DemoOrg, lookup: Lookup
) -> None:
    result = await lookup.call(fake_client, demo)

    found = result if isinstance(result, list) else [result]
    assert all(type(item) is lookup.model for item in found)
    assert [item.id for item in found] == lookup.ids(demo)


async def test_filtered_lists_decode_the_fakes_answer(
    fake_client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    windows = await fake_client.resource_slots.list(calendar_id=demo.kreuzberg_calendar_id)
    placed = await fake_client.resource_calendar_mappings.list(
        calendar_id=demo.kreuzberg_calendar_id
    )
    (offered,) = await fake_client.appointment_type_resource_mappings.list(
        calendar_id=demo.mitte_calendar_id, appointment_type_id=demo.group_class_type_id
    )

    assert windows
    assert {w.resource_id for w in windows} == set(demo.kreuzberg_trainer_ids)
    assert all(type(w) is rl.ResourceSlot for w in windows)
    assert {m.resource_id for m in placed} == set(demo.kreuzberg_trainer_ids)
    assert all(type(m) is rl.ResourceCalendarMapping for m in placed)
    assert type(offered) is rl.AppointmentTypeResourceMapping
    assert offered.resource_id == demo.group_class_resource_id


async def test_voice_agent_flow_end_to_end(
    make_fake_client: MakeClient, fake: FakeRocketLead
) -> None:
    """The docs' dynamic pattern with a write token: calendars → types → availability →
    tables → lead → booking with entryId, all typed, in the calendar's zone (on the day the
    clocks go forward); then the lead is updated, and the booking deleted (an admin's call)."""
    client = make_fake_client("write")
    calendar = next(c for c in await client.calendars.list() if c.name == "Studio Kreuzberg")
    trial = next(t for t in await client.appointment_types.list() if t.name == "Trial Session")
    day = datetime(2027, 3, 28, 0, 0, tzinfo=calendar.zoneinfo)  # the DST switch day
    av = await client.availability.get(
        calendar_id=calendar.id,
        appointment_type_id=trial.id,
        start=day + timedelta(hours=14),
        end=day + timedelta(hours=18),
    )
    assert av.meta.appointment_type_name == "Trial Session"
    slot = av.bookable()[0]
    assert slot.start.astimezone(BERLIN).hour == 14
    (table,) = await client.tables.list()
    assert table.default_lead_state is not None
    lead = await client.leads.create(
        rl.LeadRequest(
            table_id=table.id,
            lead_state_id=table.default_lead_state.id,
            data={"firstName": {"value": "Caller"}, "phone": {"value": "+49 30 1234567"}},
        )
    )
    booking = await client.bookings.create(
        rl.BookingRequest.from_slot(slot, calendar_id=calendar.id, entry_id=lead.id, name="Caller")
    )
    assert booking.table_entry_id == lead.id
    assert booking.start == slot.start == datetime(2027, 3, 28, 12, tzinfo=timezone.utc)
    assert booking.table_entry_data == {
        "firstName": {"value": "Caller"},
        "phone": {"value": "+49 30 1234567"},
    }
    fields = booking.table_schema_fields
    assert fields is not None
    assert fields["firstName"].special_type is rl.SpecialType.FIRST_NAME
    assert fields["phone"].special_type is rl.SpecialType.PHONE
    assert all(f.last_seen is not None and f.last_seen.tzinfo is not None for f in fields.values())
    assert fake.state.bookings[booking.id].table_entry_id == lead.id

    updated = await client.leads.update(lead.id, {"data": {"phone": None}})
    assert updated.data == {"firstName": {"value": "Caller"}}
    admin = make_fake_client()
    await admin.bookings.delete(booking.id)
    assert booking.id not in fake.state.bookings
    with pytest.raises(rl.NotFoundError):
        await admin.bookings.delete(booking.id)


async def test_a_slot_taken_reaches_the_caller_as_slot_unavailable(
    fake_client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg, unknowns: Unknowns
) -> None:
    av = await fake_client.availability.get(
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
        await fake_client.bookings.create(request)

    error = caught.value
    assert isinstance(error, rl.BadRequestError)
    assert (error.status, error.message) == (400, SLOT_TAKEN)
    assert error.body == {"statusCode": 400, "message": SLOT_TAKEN}
    assert fake.request_count(BOOKINGS) == 1  # a clear refusal is never repeated
    assert unknowns == []  # the caller is certainly not booked
    assert bookings_named(fake, "Loser") == []
    assert len(bookings_named(fake, RACE_CALLER)) == 1
