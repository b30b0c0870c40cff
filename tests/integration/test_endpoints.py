"""Every endpoint through the SDK's typed API, against the fake's seeded demo organization."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

import rocketlead_async as rl
from rocketlead_async.testing import DemoOrg, FakeRocketLead

from ._support import BERLIN, MakeClient, berlin, trainer_request

BOOKED = "calendar.appointment.booked"
STATE_CHANGED = "table.entry.leadState.changed"


def _names(fake: FakeRocketLead, name: str, subject: str) -> list[str]:
    return [e.status for e in fake.events_named(name) if e.subject_id == subject]


# -- availability -------------------------------------------------------------------------------


async def test_availability_returns_typed_aware_slots_and_meta(
    client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    av = await client.availability.get(
        calendar_id=demo.mitte_calendar_id,
        appointment_type_id=demo.personal_training_type_id,
        start=berlin(25, 9),
        end=berlin(25, 11),
    )
    assert av.meta == rl.AvailabilityMeta(
        appointment_type_name="Personal Training",
        default_booking_length=60,
        buffer_after=0,
        dynamic_length=False,
    )
    # Both Mitte trainers, every 30 minutes (the type's searchLength), one hour long.
    starts = [(s.start, s.resource_name) for s in av.slots]
    assert starts == [
        (berlin(25, 9), "Anna Schmidt"),
        (berlin(25, 9), "Ben Keller"),
        (berlin(25, 9, 30), "Anna Schmidt"),
        (berlin(25, 9, 30), "Ben Keller"),
        (berlin(25, 10), "Anna Schmidt"),
        (berlin(25, 10), "Ben Keller"),
    ]
    first = av.slots[0]
    assert first.start.tzinfo is not None
    assert first.start.utcoffset() == timedelta(0)  # the wire says "Z"
    assert first.end - first.start == timedelta(hours=1)
    assert first.resource_id == demo.mitte_trainer_ids[0]
    assert first.appointment_type_id == demo.personal_training_type_id
    assert first.resource_slot_id is not None
    assert first.resource_color == "#e4572e"
    assert (first.max_parallel_bookings, first.current_bookings, first.available) == (1, 0, True)
    assert av.bookable() == av.slots


async def test_availability_pins_a_resource_and_custom_step(
    client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    ben = demo.mitte_trainer_ids[1]
    av = await client.availability.get(
        calendar_id=demo.mitte_calendar_id,
        appointment_type_id=demo.personal_training_type_id,
        start=berlin(25, 9),
        end=berlin(25, 11),
        resource_id=ben,
        step_length=15,
    )
    assert {s.resource_id for s in av.slots} == {ben}
    assert [s.start for s in av.slots] == [
        berlin(25, 9),
        berlin(25, 9, 15),
        berlin(25, 9, 30),
        berlin(25, 9, 45),
        berlin(25, 10),
    ]


async def test_availability_include_unavailable_shows_blocked_slots(
    client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    anna = demo.mitte_trainer_ids[0]
    query = {
        "calendar_id": demo.mitte_calendar_id,
        "appointment_type_id": demo.personal_training_type_id,
        "start": berlin(25, 11),
        "end": berlin(25, 14),
        "resource_id": anna,
    }
    # Anna's lunch break (12:00-13:00) hides the three slots that overlap it...
    hidden = await client.availability.get(**query)  # type: ignore[arg-type]
    assert [s.start for s in hidden.slots] == [berlin(25, 11), berlin(25, 13)]
    # ...and includeUnavailable shows them, marked unavailable and not bookable.
    shown = await client.availability.get(**query, include_unavailable=True)  # type: ignore[arg-type]
    blocked = [s.start for s in shown.slots if not s.available]
    assert blocked == [berlin(25, 11, 30), berlin(25, 12), berlin(25, 12, 30)]
    assert shown.bookable() == hidden.slots


async def test_availability_shows_full_slots_but_bookable_drops_them(
    client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    # The seeded popular hour: Anna is booked Wed 15:00-16:00.
    av = await client.availability.get(
        calendar_id=demo.mitte_calendar_id,
        appointment_type_id=demo.personal_training_type_id,
        start=demo.popular_start,
        end=demo.popular_end,
    )
    by_resource = {s.resource_id: s for s in av.slots}
    anna = by_resource[demo.mitte_trainer_ids[0]]
    assert (anna.available, anna.current_bookings, anna.has_room) == (False, 1, False)
    assert av.bookable() == [by_resource[demo.mitte_trainer_ids[1]]]


# -- bookings -----------------------------------------------------------------------------------


async def test_booking_from_slot_round_trips_and_fires_booked(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    av = await client.availability.get(
        calendar_id=demo.kreuzberg_calendar_id,
        appointment_type_id=demo.trial_session_type_id,
        start=berlin(23, 10),
        end=berlin(23, 10, 30),
        resource_id=demo.kreuzberg_trainer_ids[0],
    )
    (slot,) = av.bookable()
    request = rl.BookingRequest.from_slot(
        slot, calendar_id=demo.kreuzberg_calendar_id, name="Jana Probe"
    )
    booking = await client.bookings.create(request)
    assert isinstance(booking, rl.Booking)
    assert booking.organization_id == demo.organization_id
    assert booking.calendar_id == demo.kreuzberg_calendar_id
    assert (booking.start, booking.end) == (slot.start, slot.end)
    assert booking.start.tzinfo is not None
    assert booking.created_at.tzinfo is not None
    assert booking.resource_id == slot.resource_id
    assert booking.resource_slot_id == slot.resource_slot_id
    assert booking.appointment_type_id == demo.trial_session_type_id
    assert booking.name == "Jana Probe"
    assert booking.deleted_at is None
    assert booking.table_entry_id is None
    assert booking.table_schema_fields is None
    assert booking.id in fake.state.bookings
    assert _names(fake, BOOKED, booking.id) == ["fired"]


async def test_booking_with_entry_id_links_the_lead(
    client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    lead = await client.leads.create(
        rl.LeadRequest(
            table_id=demo.table_id,
            lead_state_id=demo.default_lead_state_id,
            data={"firstName": {"value": "Jane"}, "phone": {"value": "+49 30 1234567"}},
            custom_field_data={demo.goal_field_id: "Strength"},
        )
    )
    booking = await client.bookings.create(
        rl.BookingRequest(
            calendar_id=demo.mitte_calendar_id,
            start=berlin(26, 10),
            end=berlin(26, 11),
            resource_id=demo.mitte_trainer_ids[1],
            appointment_type_id=demo.personal_training_type_id,
            entry_id=lead.id,
            name="Jane",
        )
    )
    assert booking.table_entry_id == lead.id
    assert booking.table_id == demo.table_id
    assert booking.table_entry_data == {
        "firstName": {"value": "Jane"},
        "phone": {"value": "+49 30 1234567"},
    }
    assert (booking.lead_state_name, booking.lead_state_color) == ("New", "#3b82f6")

    fields = booking.table_schema_fields
    assert fields is not None
    first = fields["firstName"]
    assert first.friendly_name == "First name"
    assert first.special_type is rl.SpecialType.FIRST_NAME
    assert first.validation == rl.FieldValidation(required=True)
    assert fields["lastName"].special_type is rl.SpecialType.LAST_NAME
    assert fields["phone"].special_type is rl.SpecialType.PHONE
    assert fields["email"].special_type is rl.SpecialType.EMAIL
    assert fields["phone"].type == "phone"
    goal = fields[demo.goal_field_id]
    assert (goal.friendly_name, goal.type, goal.special_type) == ("Training goal", "text", None)
    assert fields[demo.visits_field_id].type == "number"
    for field in fields.values():
        assert field.is_deprecated is False
        assert field.hidden is False
        assert isinstance(field.frequency, (int, float))
        assert field.last_seen is not None
        assert field.last_seen.tzinfo is not None


async def test_booking_shows_the_leads_current_state(
    client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    mia = demo.lead_entry_ids[0]  # seeded in the "Booked" state
    booking = await client.bookings.create(
        rl.BookingRequest(
            calendar_id=demo.mitte_calendar_id,
            start=berlin(29, 9),
            end=berlin(29, 10),
            resource_id=demo.mitte_trainer_ids[0],
            appointment_type_id=demo.personal_training_type_id,
            entry_id=mia,
        )
    )
    assert (booking.lead_state_name, booking.lead_state_color) == ("Booked", "#10b981")
    assert booking.table_entry_data is not None
    assert booking.table_entry_data["email"] == {"value": "mia@example.com"}


async def test_delete_booking_then_404(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    booking = await client.bookings.create(trainer_request(demo, berlin(25, 14), "To Delete"))
    assert await client.bookings.delete(booking.id) is None
    assert booking.id not in fake.state.bookings
    statuses = {e.name: e.status for e in fake.events if e.subject_id == booking.id}
    assert statuses == {
        BOOKED: "fired",
        "calendar.appointment.deleted": "fired",
        "calendar.appointment.hasStarted": "cancelled",
        "calendar.appointment.hasEnded": "cancelled",
    }

    with pytest.raises(rl.NotFoundError) as caught:
        await client.bookings.delete(booking.id)
    error = caught.value
    assert (error.status, error.message) == (404, "Booking not found")
    assert (error.method, error.path) == ("DELETE", f"/connect/calendar_bookings/{booking.id}")
    assert fake.request_count("DELETE /connect/calendar_bookings/{id}") == 2  # 404 not retried


async def test_seeded_booking_can_be_deleted(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    seeded = demo.booking_ids[0]
    await client.bookings.delete(seeded)
    assert seeded not in fake.state.bookings


# -- lookups ------------------------------------------------------------------------------------


async def test_calendars_list_and_get(client: rl.RocketLeadClient, demo: DemoOrg) -> None:
    calendars = await client.calendars.list()
    assert [(c.id, c.name) for c in calendars] == [
        (demo.mitte_calendar_id, "Studio Mitte"),
        (demo.kreuzberg_calendar_id, "Studio Kreuzberg"),
    ]  # the foreign organization's calendar is not listed
    mitte = await client.calendars.get(demo.mitte_calendar_id)
    assert mitte == calendars[0]
    assert mitte.tzdata == "Europe/Berlin"
    assert mitte.zoneinfo == ZoneInfo("Europe/Berlin")
    assert mitte.organization_id == demo.organization_id
    # Local-time math in the calendar's zone lands on the instants the API uses.
    assert datetime(2027, 3, 28, 9, tzinfo=mitte.zoneinfo).astimezone(timezone.utc).hour == 7


async def test_get_of_another_organizations_object_is_not_found(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    with pytest.raises(rl.NotFoundError, match="Calendar not found"):
        await client.calendars.get(demo.foreign_calendar_id)
    with pytest.raises(rl.NotFoundError):
        await client.resources.get(demo.foreign_resource_id)
    with pytest.raises(rl.NotFoundError):
        await client.tables.get(demo.foreign_table_id)
    assert fake.request_count() == 3  # 404s are not retried


async def test_resources_list_and_get(client: rl.RocketLeadClient, demo: DemoOrg) -> None:
    resources = await client.resources.list()
    assert [r.id for r in resources] == list(demo.resource_ids)
    capacity = {r.id: r.max_parallel_bookings for r in resources}
    assert capacity[demo.group_class_resource_id] == 8
    assert {capacity[t] for t in demo.trainer_ids} == {1}
    studio = await client.resources.get(demo.group_class_resource_id)
    assert (studio.name, studio.color, studio.max_parallel_bookings) == (
        "Group Studio Mitte",
        "#6a4c93",
        8,
    )


async def test_appointment_types_list_and_get_keep_unknown_fields(
    client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    types = await client.appointment_types.list()
    assert [(t.id, t.name) for t in types] == [
        (demo.personal_training_type_id, "Personal Training"),
        (demo.group_class_type_id, "Group Class"),
        (demo.trial_session_type_id, "Trial Session"),
    ]
    trial = await client.appointment_types.get(demo.trial_session_type_id)
    assert (trial.booking_length, trial.search_length) == (30, 30)
    assert trial.extra == {"bufferAfter": 0, "dynamicLength": False}


async def test_resource_slots_list_by_calendar(client: rl.RocketLeadClient, demo: DemoOrg) -> None:
    windows = await client.resource_slots.list(calendar_id=demo.kreuzberg_calendar_id)
    assert len(windows) == 14  # two trainers, every weekday
    assert {w.calendar_id for w in windows} == {demo.kreuzberg_calendar_id}
    assert {w.resource_id for w in windows} == set(demo.kreuzberg_trainer_ids)
    monday = next(w for w in windows if w.extra["weekday"] == 1)
    assert (monday.extra["startTime"], monday.extra["endTime"]) == ("09:00", "18:00")
    mitte = await client.resource_slots.list(calendar_id=demo.mitte_calendar_id)
    assert len(mitte) == 21  # two trainers and the group studio


async def test_resource_slot_blockers_list_by_calendar(
    client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    (team_lunch,) = await client.resource_slot_blockers.list(calendar_id=demo.kreuzberg_calendar_id)
    assert team_lunch.name == "Team lunch"
    assert team_lunch.resource_id is None  # the whole calendar
    assert (team_lunch.start, team_lunch.end) == (berlin(24, 12), berlin(24, 13))
    assert team_lunch.start is not None
    assert team_lunch.start.tzinfo is not None
    mitte = await client.resource_slot_blockers.list(calendar_id=demo.mitte_calendar_id)
    assert [b.id for b in mitte] == list(demo.lunch_blocker_ids[:8])
    assert {b.resource_id for b in mitte} == {demo.mitte_trainer_ids[0]}


async def test_resource_calendar_mappings_filters(
    client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    every = await client.resource_calendar_mappings.list()
    assert {(m.resource_id, m.calendar_id) for m in every} == {
        *((t, demo.mitte_calendar_id) for t in demo.mitte_trainer_ids),
        (demo.group_class_resource_id, demo.mitte_calendar_id),
        *((t, demo.kreuzberg_calendar_id) for t in demo.kreuzberg_trainer_ids),
    }
    kreuzberg = await client.resource_calendar_mappings.list(calendar_id=demo.kreuzberg_calendar_id)
    assert {m.resource_id for m in kreuzberg} == set(demo.kreuzberg_trainer_ids)
    (one,) = await client.resource_calendar_mappings.list(
        calendar_id=demo.mitte_calendar_id, resource_id=demo.group_class_resource_id
    )
    assert one.id is not None
    none = await client.resource_calendar_mappings.list(
        calendar_id=demo.kreuzberg_calendar_id, resource_id=demo.group_class_resource_id
    )
    assert none == []


async def test_appointment_type_resource_mappings_filters(
    client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    every = await client.appointment_type_resource_mappings.list()
    assert len(every) == 9  # 4 trainers x 2 types + the studio's group class
    (group,) = await client.appointment_type_resource_mappings.list(
        appointment_type_id=demo.group_class_type_id
    )
    assert group.resource_id == demo.group_class_resource_id
    anna = await client.appointment_type_resource_mappings.list(
        resource_id=demo.mitte_trainer_ids[0]
    )
    assert {m.appointment_type_id for m in anna} == {
        demo.personal_training_type_id,
        demo.trial_session_type_id,
    }
    (pinned,) = await client.appointment_type_resource_mappings.list(
        appointment_type_id=demo.trial_session_type_id, resource_id=demo.mitte_trainer_ids[0]
    )
    assert pinned.resource_id == demo.mitte_trainer_ids[0]


async def test_appointment_type_resource_mappings_filter_by_calendar(
    client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    kreuzberg = await client.appointment_type_resource_mappings.list(
        calendar_id=demo.kreuzberg_calendar_id
    )
    assert len(kreuzberg) == 2 * len(demo.kreuzberg_trainer_ids)
    assert {m.resource_id for m in kreuzberg} == set(demo.kreuzberg_trainer_ids)
    (group,) = await client.appointment_type_resource_mappings.list(
        calendar_id=demo.mitte_calendar_id, appointment_type_id=demo.group_class_type_id
    )
    assert group.resource_id == demo.group_class_resource_id


async def test_tables_list_and_get_with_default_lead_state(
    client: rl.RocketLeadClient, demo: DemoOrg
) -> None:
    (table,) = await client.tables.list()
    assert (table.id, table.name) == (demo.table_id, "Leads")
    assert [s.name for s in table.lead_states] == ["New", "Contacted", "Booked"]
    default = table.default_lead_state
    assert default is not None
    assert (default.id, default.name, default.default) == (demo.default_lead_state_id, "New", True)
    assert [f["id"] for f in table.extra["customFields"]] == [
        demo.goal_field_id,
        demo.visits_field_id,
    ]
    assert await client.tables.get(demo.table_id) == table


# -- leads --------------------------------------------------------------------------------------


async def test_lead_create_returns_entry_and_fires_events(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    table = await client.tables.get(demo.table_id)
    assert table.default_lead_state is not None
    lead = await client.leads.create(
        rl.LeadRequest(
            table_id=table.id,
            lead_state_id=table.default_lead_state.id,
            data={"firstName": {"value": "Jane"}},
            custom_field_data={demo.visits_field_id: 3},
            interested_in_appointment_type_id=demo.trial_session_type_id,
        )
    )
    assert isinstance(lead, rl.LeadEntry)
    assert (lead.table_id, lead.organization_id) == (demo.table_id, demo.organization_id)
    assert lead.lead_state_id == demo.default_lead_state_id
    assert lead.data == {"firstName": {"value": "Jane"}}
    assert lead.custom_field_data == {demo.visits_field_id: 3}
    assert lead.interested_in_appointment_type_id == demo.trial_session_type_id
    assert lead.archived is False
    assert lead.created_at.tzinfo is not None
    assert lead.updated_at.tzinfo is not None
    assert lead.id in fake.state.entries
    assert _names(fake, "table.entry.added", lead.id) == ["fired"]
    assert _names(fake, STATE_CHANGED, lead.id) == ["fired"]


async def test_lead_create_with_unknown_custom_field_is_a_bad_request(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    with pytest.raises(rl.BadRequestError, match="unknown custom field") as caught:
        await client.leads.create(
            rl.LeadRequest(
                table_id=demo.table_id,
                lead_state_id=demo.default_lead_state_id,
                data={},
                custom_field_data={"no-such-field": 1},
            )
        )
    assert caught.value.status == 400
    assert not isinstance(caught.value, rl.SlotUnavailableError)
    assert fake.request_count() == 1


async def test_lead_update_merge_patch_deletes_with_none(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    mia = demo.lead_entry_ids[0]
    updated = await client.leads.update(
        mia,
        {
            "data": {"phone": None, "email": {"value": "mia@new.example"}},
            "customFieldData": None,
        },
    )
    assert updated.id == mia
    assert updated.data == {
        "firstName": {"value": "Mia"},  # omitted keys are untouched
        "lastName": {"value": "Wagner"},
        "email": {"value": "mia@new.example"},
    }
    assert updated.custom_field_data is None  # a top-level null deletes the key
    assert updated.lead_state_id == demo.booked_lead_state_id
    assert fake.state.entries[mia].data == updated.data
    assert _names(fake, STATE_CHANGED, mia) == []  # the state did not change


async def test_lead_update_of_lead_state_fires_the_event(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    jonas = demo.lead_entry_ids[1]
    updated = await client.leads.update(jonas, {"leadStateId": demo.contacted_lead_state_id})
    assert updated.lead_state_id == demo.contacted_lead_state_id
    assert updated.data == {"firstName": {"value": "Jonas"}, "phone": {"value": "+4930654321"}}
    assert _names(fake, STATE_CHANGED, jonas) == ["fired"]
    # The same state again is no change: no second event.
    await client.leads.update(jonas, {"leadStateId": demo.contacted_lead_state_id})
    assert _names(fake, STATE_CHANGED, jonas) == ["fired"]


async def test_lead_update_of_unknown_entry_is_not_found(
    client: rl.RocketLeadClient, fake: FakeRocketLead
) -> None:
    with pytest.raises(rl.NotFoundError):
        await client.leads.update("no-such-entry", {"archived": True})
    assert fake.request_count() == 1


async def test_voice_agent_flow_end_to_end(
    make_client: MakeClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    """The docs' dynamic pattern with a write token: calendars → types → availability →
    tables → lead → booking with entryId, all typed, in the calendar's zone."""
    client = make_client("write")
    calendar = next(c for c in await client.calendars.list() if c.name == "Studio Kreuzberg")
    trial = next(t for t in await client.appointment_types.list() if t.name == "Trial Session")
    day = datetime(2027, 3, 28, 0, 0, tzinfo=calendar.zoneinfo)  # the DST switch day
    av = await client.availability.get(
        calendar_id=calendar.id,
        appointment_type_id=trial.id,
        start=day + timedelta(hours=14),
        end=day + timedelta(hours=18),
    )
    slot = av.bookable()[0]
    assert slot.start.astimezone(BERLIN).hour == 14
    (table,) = await client.tables.list()
    assert table.default_lead_state is not None
    lead = await client.leads.create(
        rl.LeadRequest(
            table_id=table.id,
            lead_state_id=table.default_lead_state.id,
            data={"firstName": {"value": "Caller"}},
        )
    )
    booking = await client.bookings.create(
        rl.BookingRequest.from_slot(slot, calendar_id=calendar.id, entry_id=lead.id, name="Caller")
    )
    assert booking.table_entry_id == lead.id
    assert booking.start == slot.start == datetime(2027, 3, 28, 12, tzinfo=timezone.utc)
    assert fake.state.bookings[booking.id].table_entry_id == lead.id
