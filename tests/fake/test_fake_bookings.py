"""POST/DELETE /connect/calendar_bookings/: validation, capacity, leads, events, races."""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

import attrs
import pytest

from rocketlead_async.testing import DemoOrg, FakeRocketLead, ManualClock
from tests.helpers.wire import Wire, ben_booking, slot_booking

BOOKINGS = "/connect/calendar_bookings/"
TAKEN = {"statusCode": 400, "message": "The selected time slot is no longer available"}


async def slots(
    wire: Wire, calendar_id: str, type_id: str, start: str, end: str, **extra: str
) -> list[dict[str, Any]]:
    params = {
        "calendarId": calendar_id,
        "appointmentTypeId": type_id,
        "start": start,
        "end": end,
        **extra,
    }
    reply = await wire.get("/connect/availability/", params=params)
    data: list[dict[str, Any]] = reply.json["data"]
    return data


async def group_class_slots(wire: Wire, demo: DemoOrg, *, hour: int) -> list[dict[str, Any]]:
    """The Mitte group class's slots at ``hour``:00-``hour+1``:00 in Berlin on Thursday 25 March."""
    return await slots(
        wire,
        demo.mitte_calendar_id,
        demo.group_class_type_id,
        f"2027-03-25T{hour}:00:00+01:00",
        f"2027-03-25T{hour + 1}:00:00+01:00",
    )


async def ben_slot(
    wire: Wire,
    fake: FakeRocketLead,
    start: str = "2027-03-25T09:00:00Z",
    end: str = "2027-03-25T10:00:00Z",
) -> dict[str, Any]:
    demo = fake.demo
    found = await slots(
        wire,
        demo.mitte_calendar_id,
        demo.personal_training_type_id,
        start,
        end,
        resourceId=demo.mitte_trainer_ids[1],
    )
    return found[0]


async def test_booking_response_shape(wire: Wire, manual_fake: FakeRocketLead) -> None:
    slot = await ben_slot(wire, manual_fake)
    reply = await wire.post(
        BOOKINGS, slot_booking(slot, manual_fake.demo.mitte_calendar_id), token="write"
    )
    assert reply.status == 201
    booking = reply.json
    assert booking == {
        "organizationId": manual_fake.demo.organization_id,
        "calendarId": manual_fake.demo.mitte_calendar_id,
        "id": booking["id"],
        "name": None,
        "createdAt": "2027-03-01T12:00:00.000Z",
        "startDateTime": "2027-03-25T09:00:00.000Z",
        "endDateTime": "2027-03-25T10:00:00.000Z",
        "resourceId": slot["resourceId"],
        "appointmentTypeId": manual_fake.demo.personal_training_type_id,
        "resourceSlotId": slot["resourceSlotId"],
        "deletedAt": None,
        "chainBookingGroupId": None,
    }
    assert booking["id"] in manual_fake.state.bookings


async def test_booking_with_offset_times_and_name(wire: Wire, manual_fake: FakeRocketLead) -> None:
    slot = await ben_slot(wire, manual_fake)
    body = slot_booking(slot, manual_fake.demo.mitte_calendar_id, name="Kim Lee")
    body.update(startDateTime="2027-03-25T10:00:00+01:00", endDateTime="2027-03-25T11:00+01:00")
    del body["resourceSlotId"]
    reply = await wire.post(BOOKINGS, body)
    assert reply.status == 201
    assert reply.json["name"] == "Kim Lee"
    assert reply.json["startDateTime"] == "2027-03-25T09:00:00.000Z"
    assert reply.json["resourceSlotId"] == slot["resourceSlotId"]


async def test_entry_id_links_the_lead(wire: Wire, manual_fake: FakeRocketLead) -> None:
    demo = manual_fake.demo
    jonas = demo.lead_entry_ids[1]
    slot = await ben_slot(wire, manual_fake)
    reply = await wire.post(BOOKINGS, slot_booking(slot, demo.mitte_calendar_id, entryId=jonas))
    booking = reply.json
    assert "entryId" not in booking
    assert booking["tableEntryId"] == jonas
    assert booking["tableId"] == demo.table_id
    assert booking["tableEntryData"] == {
        "firstName": {"value": "Jonas"},
        "phone": {"value": "+4930654321"},
    }
    assert (booking["leadStateName"], booking["leadStateColor"]) == ("New", "#3b82f6")
    schema = booking["tableSchemaFields"]
    assert set(schema) == {
        "firstName",
        "lastName",
        "phone",
        "email",
        demo.goal_field_id,
        demo.visits_field_id,
    }
    assert schema["phone"] == {
        "friendlyName": "Phone",
        "type": "phone",
        "specialType": "phone",
        "hidden": False,
        "validation": {"required": False},
        "frequency": 2,
        "lastSeen": "2027-03-01T09:00:00.000Z",
        "isDeprecated": False,
    }
    assert schema["firstName"]["validation"] == {"required": True}
    assert schema["email"]["frequency"] == 1
    assert schema[demo.goal_field_id]["friendlyName"] == "Training goal"
    assert "specialType" not in schema[demo.goal_field_id]


async def test_unknown_data_keys_appear_in_schema(wire: Wire, manual_fake: FakeRocketLead) -> None:
    demo = manual_fake.demo
    entry = (
        await wire.post(
            "/connect/table_entries/",
            {
                "tableId": demo.table_id,
                "leadStateId": demo.contacted_lead_state_id,
                "data": {"firstName": {"value": "Ola"}, "notes": {"value": "evenings"}},
            },
        )
    ).json
    slot = await ben_slot(wire, manual_fake)
    booking = (
        await wire.post(BOOKINGS, slot_booking(slot, demo.mitte_calendar_id, entryId=entry["id"]))
    ).json
    assert booking["tableSchemaFields"]["notes"]["friendlyName"] == "notes"
    assert booking["tableSchemaFields"]["notes"]["frequency"] == 1
    assert booking["leadStateName"] == "Contacted"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"calendarId": None}, "calendarId is required"),
        ({"startDateTime": None}, "startDateTime is required"),
        ({"endDateTime": None}, "endDateTime is required"),
        ({"resourceId": None}, "resourceId is required"),
        ({"appointmentTypeId": None}, "appointmentTypeId is required"),
        ({"calendarId": 7}, "calendarId must be a string"),
        (
            {"startDateTime": "2027-03-25T09:00:00"},
            "startDateTime must be an ISO-8601 timestamp with offset",
        ),
        ({"endDateTime": "later"}, "endDateTime must be an ISO-8601 timestamp with offset"),
        ({"endDateTime": "2027-03-25T09:00:00.000Z"}, "endDateTime must be after startDateTime"),
        ({"calendarId": "nope"}, "unknown calendarId"),
        ({"resourceId": "nope"}, "unknown resourceId"),
        ({"appointmentTypeId": "nope"}, "unknown appointmentTypeId"),
        ({"entryId": "nope"}, "unknown entryId"),
        (
            {"startDateTime": "2027-03-25T09:10:30Z", "endDateTime": "2027-03-25T10:10:30Z"},
            "no bookable slot at the requested time",
        ),
        (
            {"startDateTime": "2027-03-25T09:00:00Z", "endDateTime": "2027-03-25T09:30:00Z"},
            "no bookable slot at the requested time",
        ),
        (
            {"startDateTime": "2027-03-25T19:00:00Z", "endDateTime": "2027-03-25T20:00:00Z"},
            "no bookable slot at the requested time",
        ),
        ({"resourceSlotId": "nope"}, "resourceSlotId does not match the requested slot"),
    ],
)
async def test_validation(
    wire: Wire, manual_fake: FakeRocketLead, change: dict[str, Any], message: str
) -> None:
    body = {**ben_booking(manual_fake.demo), **change}
    body = {k: v for k, v in body.items() if v is not None}
    reply = await wire.post(BOOKINGS, body)
    assert reply.status == 400
    assert reply.json == {"statusCode": 400, "message": f"Validation failed: {message}"}
    assert len(manual_fake.state.bookings) == len(manual_fake.demo.booking_ids)


@pytest.mark.parametrize("raw", [b"", b"[]", b"not json", b'"x"'])
async def test_body_must_be_an_object(wire: Wire, raw: bytes) -> None:
    reply = await wire.call("POST", BOOKINGS, data=raw, token="write")
    assert (reply.status, reply.json) == (
        400,
        {"statusCode": 400, "message": "Validation failed: body must be a JSON object"},
    )


@pytest.mark.parametrize(
    "change",
    [
        # Resource not in that calendar; type not offered by the resource; Anna's lunch.
        {"calendarId": "kreuzberg"},
        {"appointmentTypeId": "group"},
        {
            "resourceId": "anna",
            "startDateTime": "2027-03-25T11:00:00Z",
            "endDateTime": "2027-03-25T12:00:00Z",
        },
    ],
)
async def test_slot_must_be_produced_by_availability(
    wire: Wire, manual_fake: FakeRocketLead, change: dict[str, str]
) -> None:
    demo = manual_fake.demo
    aliases = {
        "kreuzberg": demo.kreuzberg_calendar_id,
        "group": demo.group_class_type_id,
        "anna": demo.mitte_trainer_ids[0],
    }
    body = {**ben_booking(manual_fake.demo), **{k: aliases.get(v, v) for k, v in change.items()}}
    reply = await wire.post(BOOKINGS, body)
    assert reply.json["message"] == "Validation failed: no bookable slot at the requested time"


async def test_foreign_ids_are_unknown(wire: Wire, manual_fake: FakeRocketLead) -> None:
    body = {**ben_booking(manual_fake.demo), "resourceId": manual_fake.demo.foreign_resource_id}
    assert (await wire.post(BOOKINGS, body)).json["message"] == (
        "Validation failed: unknown resourceId"
    )


async def test_custom_step_slots_are_bookable(wire: Wire, manual_fake: FakeRocketLead) -> None:
    body = {
        **ben_booking(manual_fake.demo),
        "startDateTime": "2027-03-25T09:15:00Z",
        "endDateTime": "2027-03-25T10:15:00Z",
    }
    assert (await wire.post(BOOKINGS, body)).status == 201


async def test_group_class_takes_eight_then_refuses(
    wire: Wire, manual_fake: FakeRocketLead
) -> None:
    demo = manual_fake.demo
    [slot] = await group_class_slots(wire, demo, hour=17)
    body = slot_booking(slot, demo.mitte_calendar_id)
    statuses = [(await wire.post(BOOKINGS, {**body, "name": f"P{i}"})).status for i in range(8)]
    assert statuses == [201] * 8
    ninth = await wire.post(BOOKINGS, body)
    assert (ninth.status, ninth.json) == (400, TAKEN)
    [after] = await group_class_slots(wire, demo, hour=17)
    assert (after["currentBookings"], after["available"]) == (8, False)


async def test_trainer_takes_one(wire: Wire, manual_fake: FakeRocketLead) -> None:
    slot = await ben_slot(wire, manual_fake)
    body = slot_booking(slot, manual_fake.demo.mitte_calendar_id)
    assert (await wire.post(BOOKINGS, body)).status == 201
    second = await wire.post(BOOKINGS, body)
    assert (second.status, second.json) == (400, TAKEN)
    # An overlapping half-hour-shifted slot is taken too.
    shifted = {
        **body,
        "startDateTime": "2027-03-25T09:30:00Z",
        "endDateTime": "2027-03-25T10:30:00Z",
    }
    assert (await wire.post(BOOKINGS, shifted)).json == TAKEN


async def test_concurrent_posts_never_overbook(wire: Wire, manual_fake: FakeRocketLead) -> None:
    demo = manual_fake.demo
    body = {
        **ben_booking(manual_fake.demo),
        "startDateTime": demo.popular_start.isoformat(),
        "endDateTime": demo.popular_end.isoformat(),
    }
    replies = await asyncio.gather(*(wire.post(BOOKINGS, body) for _ in range(12)))
    assert sorted(r.status for r in replies) == [201] + [400] * 11
    assert {r.json["message"] for r in replies if r.status == 400} == {TAKEN["message"]}


async def test_popular_hour_seeded_booking_fills_anna(
    wire: Wire, manual_fake: FakeRocketLead
) -> None:
    demo = manual_fake.demo
    body = {
        **ben_booking(manual_fake.demo),
        "resourceId": demo.mitte_trainer_ids[0],
        "startDateTime": demo.popular_start.isoformat(),
        "endDateTime": demo.popular_end.isoformat(),
    }
    assert (await wire.post(BOOKINGS, body)).json == TAKEN


async def test_delete_then_404(wire: Wire, manual_fake: FakeRocketLead) -> None:
    booking_id = manual_fake.demo.booking_ids[0]
    path = f"{BOOKINGS}{booking_id}"
    reply = await wire.call("DELETE", path)
    assert (reply.status, reply.raw) == (204, b"")
    assert booking_id not in manual_fake.state.bookings
    again = await wire.call("DELETE", path)
    assert (again.status, again.json) == (404, {"statusCode": 404, "message": "Booking not found"})
    assert (await wire.call("DELETE", f"{BOOKINGS}nope")).status == 404


async def test_deleting_frees_the_seat(wire: Wire, manual_fake: FakeRocketLead) -> None:
    demo = manual_fake.demo
    await wire.call("DELETE", f"{BOOKINGS}{demo.booking_ids[0]}")
    body = {
        **ben_booking(manual_fake.demo),
        "resourceId": demo.mitte_trainer_ids[0],
        "startDateTime": demo.popular_start.isoformat(),
        "endDateTime": demo.popular_end.isoformat(),
    }
    assert (await wire.post(BOOKINGS, body)).status == 201


async def test_events_of_create_and_delete(
    wire: Wire, manual_fake: FakeRocketLead, manual_clock: ManualClock
) -> None:
    slot = await ben_slot(wire, manual_fake)
    booking = (
        await wire.post(BOOKINGS, slot_booking(slot, manual_fake.demo.mitte_calendar_id))
    ).json
    assert [(e.name, e.subject_id, e.status) for e in manual_fake.events] == [
        ("calendar.appointment.booked", booking["id"], "fired"),
        ("calendar.appointment.hasStarted", booking["id"], "pending"),
        ("calendar.appointment.hasEnded", booking["id"], "pending"),
    ]
    started = manual_fake.events_named("calendar.appointment.hasStarted")[0]
    assert started.due_at == datetime(2027, 3, 25, 9, tzinfo=timezone.utc)
    assert manual_fake.events[0].at == manual_clock()

    manual_clock.set(datetime(2027, 3, 25, 9, 30, tzinfo=timezone.utc))  # between start and end
    assert [e.status for e in manual_fake.events] == ["fired", "fired", "pending"]
    assert manual_fake.events_named("calendar.appointment.hasStarted")[0].at == started.due_at

    await wire.call("DELETE", f"{BOOKINGS}{booking['id']}")
    assert [(e.name, e.status) for e in manual_fake.events] == [
        ("calendar.appointment.booked", "fired"),
        ("calendar.appointment.hasStarted", "fired"),
        ("calendar.appointment.hasEnded", "cancelled"),
        ("calendar.appointment.deleted", "fired"),
    ]


async def test_delete_cancels_both_pending(wire: Wire, manual_fake: FakeRocketLead) -> None:
    slot = await ben_slot(wire, manual_fake)
    booking = (
        await wire.post(BOOKINGS, slot_booking(slot, manual_fake.demo.mitte_calendar_id))
    ).json
    await wire.call("DELETE", f"{BOOKINGS}{booking['id']}")
    assert [e.status for e in manual_fake.events] == ["fired", "cancelled", "cancelled", "fired"]
    assert manual_fake.events_named("calendar.appointment.deleted")[0].subject_id == booking["id"]


async def test_race_takes_the_slot_before_the_recheck(
    wire: Wire, manual_fake: FakeRocketLead
) -> None:
    demo = manual_fake.demo
    [slot] = await group_class_slots(wire, demo, hour=17)
    manual_fake.race_next_bookings()
    assert manual_fake.races_pending == 1
    # A failing POST does not consume the race.
    assert (await wire.post(BOOKINGS, {"calendarId": demo.mitte_calendar_id})).status == 400
    assert manual_fake.races_pending == 1
    reply = await wire.post(BOOKINGS, slot_booking(slot, demo.mitte_calendar_id))
    assert (reply.status, reply.json) == (400, TAKEN)
    assert manual_fake.races_pending == 0
    phantoms = [b for b in manual_fake.state.bookings.values() if b.name == "Walk-in (race)"]
    assert len(phantoms) == 8
    assert {b.resource_slot_id for b in phantoms} == {slot["resourceSlotId"]}
    assert len(manual_fake.events_named("calendar.appointment.booked")) == 8
    # The neighbouring hour is untouched, so recovery has somewhere to go.
    later = await group_class_slots(wire, demo, hour=18)
    assert later[0]["available"] is True


async def test_race_counts_only_successful_posts(wire: Wire, manual_fake: FakeRocketLead) -> None:
    slot = await ben_slot(wire, manual_fake)
    body = slot_booking(slot, manual_fake.demo.mitte_calendar_id)
    manual_fake.race_next_bookings(2)
    assert (await wire.post(BOOKINGS, body)).json == TAKEN  # raced
    assert manual_fake.races_pending == 1
    assert (await wire.post(BOOKINGS, body)).json == TAKEN  # genuinely full: race kept
    assert manual_fake.races_pending == 1
    other = await ben_slot(wire, manual_fake, "2027-03-25T12:00:00Z", "2027-03-25T13:00:00Z")
    assert (
        await wire.post(BOOKINGS, slot_booking(other, manual_fake.demo.mitte_calendar_id))
    ).json == TAKEN
    third = await ben_slot(wire, manual_fake, "2027-03-25T14:00:00Z", "2027-03-25T15:00:00Z")
    assert (
        await wire.post(BOOKINGS, slot_booking(third, manual_fake.demo.mitte_calendar_id))
    ).status == 201


async def test_fill_slot(wire: Wire, manual_fake: FakeRocketLead) -> None:
    demo = manual_fake.demo
    start = datetime(2027, 3, 25, 16, tzinfo=timezone.utc)
    end = datetime(2027, 3, 25, 17, tzinfo=timezone.utc)
    ids = manual_fake.fill_slot(demo.group_class_resource_id, start, end)
    assert len(ids) == 8
    filled = manual_fake.state.bookings[ids[0]]
    assert (filled.calendar_id, filled.appointment_type_id, filled.name) == (
        demo.mitte_calendar_id,
        demo.group_class_type_id,
        "Walk-in",
    )
    assert manual_fake.fill_slot(demo.group_class_resource_id, start, end) == []
    [slot] = await slots(
        wire, demo.mitte_calendar_id, demo.group_class_type_id, start.isoformat(), end.isoformat()
    )
    assert slot["available"] is False
    with pytest.raises(ValueError, match="timezone-aware"):
        manual_fake.fill_slot(demo.group_class_resource_id, start.replace(tzinfo=None), end)
    with pytest.raises(ValueError, match="unknown resource"):
        manual_fake.fill_slot("nope", start, end)


async def test_fill_slot_outside_any_window(manual_fake: FakeRocketLead) -> None:
    start = datetime(2027, 3, 25, 2, tzinfo=timezone.utc)
    end = datetime(2027, 3, 25, 3, tzinfo=timezone.utc)
    [booking_id] = manual_fake.fill_slot(
        manual_fake.demo.mitte_trainer_ids[1], start, end, name="Night owl"
    )
    booking = manual_fake.state.bookings[booking_id]
    assert (booking.calendar_id, booking.resource_slot_id) == (
        manual_fake.demo.mitte_calendar_id,
        None,
    )


async def test_overbooked_reports_seats_over_capacity_at_the_worst_instant() -> None:
    fake = FakeRocketLead(seed=0)
    assert fake.overbooked() == {}  # the seed keeps its own invariant
    seeded = fake.state.bookings[fake.demo.booking_ids[0]]  # a capacity-1 trainer
    fake.state.bookings["twin"] = attrs.evolve(seeded, id="twin")
    fake.state.bookings["triplet"] = attrs.evolve(seeded, id="triplet")
    assert fake.overbooked() == {seeded.resource_id: 2}
    # Back to back is no overlap: [start, end) then [end, ...).
    del fake.state.bookings["twin"], fake.state.bookings["triplet"]
    fake.state.bookings["next"] = attrs.evolve(
        seeded, id="next", start=seeded.end, end=seeded.end + (seeded.end - seeded.start)
    )
    assert fake.overbooked() == {}
