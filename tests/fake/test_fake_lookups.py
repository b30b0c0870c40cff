"""Lookup endpoints: bare arrays, item GETs, filters, org scoping, unknown paths and methods."""

from __future__ import annotations

import pytest

from rocketlead_async.testing import FakeRocketLead
from tests.helpers.wire import Wire

ORG_SHAPES = {
    "/connect/calendar/": {"id", "name", "tzdata", "organizationId"},
    "/connect/resources/": {"id", "name", "color", "maxParallelBookings", "organizationId"},
    "/connect/appointment_types/": {
        "id",
        "name",
        "bookingLength",
        "searchLength",
        "bufferAfter",
        "dynamicLength",
        "organizationId",
    },
    "/connect/tables/": {"id", "name", "organizationId", "leadStates", "customFields"},
}


@pytest.mark.parametrize(("path", "keys"), ORG_SHAPES.items())
async def test_lists_are_bare_arrays_of_the_callers_org(
    wire: Wire, manual_fake: FakeRocketLead, path: str, keys: set[str]
) -> None:
    reply = await wire.get(path, token="read")
    assert reply.status == 200
    assert reply.headers["Content-Type"].startswith("application/json")
    assert isinstance(reply.json, list)
    assert reply.json
    for item in reply.json:
        assert set(item) == keys
        assert item["organizationId"] == manual_fake.demo.organization_id


@pytest.mark.parametrize("path", list(ORG_SHAPES))
async def test_item_get_matches_the_list(wire: Wire, path: str) -> None:
    listed = (await wire.get(path)).json
    for item in listed:
        reply = await wire.get(path + item["id"], token="read")
        assert reply.status == 200
        assert reply.json == item


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/connect/calendar/", "Calendar"),
        ("/connect/resources/", "Resource"),
        ("/connect/appointment_types/", "Appointment type"),
        ("/connect/tables/", "Table"),
    ],
)
async def test_unknown_item_is_404_naming_the_kind(wire: Wire, path: str, kind: str) -> None:
    reply = await wire.get(path + "no-such-id")
    assert reply.status == 404
    assert reply.json == {"statusCode": 404, "message": f"{kind} not found"}


async def test_another_orgs_objects_are_not_found(wire: Wire, manual_fake: FakeRocketLead) -> None:
    demo = manual_fake.demo
    for path, foreign in [
        ("/connect/calendar/", demo.foreign_calendar_id),
        ("/connect/resources/", demo.foreign_resource_id),
        ("/connect/tables/", demo.foreign_table_id),
    ]:
        assert (await wire.get(path + foreign)).status == 404
        assert foreign not in {item["id"] for item in (await wire.get(path)).json}


async def test_a_foreign_token_sees_only_its_org(wire: Wire, manual_fake: FakeRocketLead) -> None:
    token = manual_fake.issue_token(
        "read", organization_id=manual_fake.demo.foreign_organization_id
    )
    calendars = (await wire.get("/connect/calendar/", token=token)).json
    assert [c["id"] for c in calendars] == [manual_fake.demo.foreign_calendar_id]
    assert calendars[0]["tzdata"] == "Europe/Vienna"


async def test_demo_lookups(wire: Wire, manual_fake: FakeRocketLead) -> None:
    demo = manual_fake.demo
    calendars = (await wire.get("/connect/calendar/")).json
    assert [(c["name"], c["tzdata"]) for c in calendars] == [
        ("Studio Mitte", "Europe/Berlin"),
        ("Studio Kreuzberg", "Europe/Berlin"),
    ]
    types = {t["name"]: t for t in (await wire.get("/connect/appointment_types/")).json}
    assert {n: (t["bookingLength"], t["searchLength"]) for n, t in types.items()} == {
        "Personal Training": (60, 30),
        "Group Class": (60, 60),
        "Trial Session": (30, 30),
    }
    assert all(t["bufferAfter"] == 0 and t["dynamicLength"] is False for t in types.values())
    resources = {r["id"]: r for r in (await wire.get("/connect/resources/")).json}
    assert set(resources) == set(demo.resource_ids)
    assert resources[demo.group_class_resource_id]["maxParallelBookings"] == 8
    assert {resources[t]["maxParallelBookings"] for t in demo.trainer_ids} == {1}


async def test_table_shape(wire: Wire, manual_fake: FakeRocketLead) -> None:
    table = (await wire.get(f"/connect/tables/{manual_fake.demo.table_id}")).json
    assert table["name"] == "Leads"
    states = table["leadStates"]
    assert [(s["name"], s["default"]) for s in states] == [
        ("New", True),
        ("Contacted", False),
        ("Booked", False),
    ]
    assert all(set(s) == {"id", "name", "color", "default"} for s in states)
    assert states[0]["id"] == manual_fake.demo.default_lead_state_id
    fields = {f["id"]: f for f in table["customFields"]}
    assert fields[manual_fake.demo.goal_field_id] == {
        "id": manual_fake.demo.goal_field_id,
        "name": "Training goal",
        "type": "text",
    }
    assert fields[manual_fake.demo.visits_field_id]["type"] == "number"


async def test_resource_slots_filtered_by_calendar(wire: Wire, manual_fake: FakeRocketLead) -> None:
    demo = manual_fake.demo
    reply = await wire.get(
        "/connect/resource_slots/", token="read", params={"calendarId": demo.mitte_calendar_id}
    )
    slots = reply.json
    assert {s["calendarId"] for s in slots} == {demo.mitte_calendar_id}
    assert set(slots[0]) == {
        "id",
        "calendarId",
        "resourceId",
        "weekday",
        "startTime",
        "endTime",
        "appointmentTypeIds",
    }
    trainer = [s for s in slots if s["resourceId"] == demo.mitte_trainer_ids[0]]
    assert sorted(s["weekday"] for s in trainer) == [1, 2, 3, 4, 5, 6, 7]
    assert {(s["startTime"], s["endTime"]) for s in trainer} == {("09:00", "18:00")}
    assert set(trainer[0]["appointmentTypeIds"]) == {
        demo.personal_training_type_id,
        demo.trial_session_type_id,
    }
    group = [s for s in slots if s["resourceId"] == demo.group_class_resource_id]
    assert {(s["startTime"], s["endTime"]) for s in group} == {("17:00", "20:00")}
    everything = (await wire.get("/connect/resource_slots/")).json
    assert len(everything) == 5 * 7


async def test_blockers(wire: Wire, manual_fake: FakeRocketLead) -> None:
    demo = manual_fake.demo
    kreuzberg = (
        await wire.get(
            "/connect/resource_slot_blockers/", params={"calendarId": demo.kreuzberg_calendar_id}
        )
    ).json
    assert kreuzberg == [
        {
            "id": demo.lunch_blocker_ids[-1],
            "calendarId": demo.kreuzberg_calendar_id,
            "resourceId": None,
            "name": "Team lunch",
            "startDateTime": "2027-03-24T11:00:00.000Z",
            "endDateTime": "2027-03-24T12:00:00.000Z",
        }
    ]
    mitte = (
        await wire.get(
            "/connect/resource_slot_blockers/", params={"calendarId": demo.mitte_calendar_id}
        )
    ).json
    assert len(mitte) == 8
    # Lunch is 12:00 local: CET before the switch, CEST from Sunday the 28th.
    assert mitte[0]["startDateTime"] == "2027-03-22T11:00:00.000Z"
    assert mitte[-1]["startDateTime"] == "2027-03-29T10:00:00.000Z"


async def test_mapping_filters(wire: Wire, manual_fake: FakeRocketLead) -> None:
    demo = manual_fake.demo
    by_calendar = (
        await wire.get(
            "/connect/resource_calendar_mappings/",
            params={"calendarId": demo.kreuzberg_calendar_id},
        )
    ).json
    assert {m["resourceId"] for m in by_calendar} == set(demo.kreuzberg_trainer_ids)
    assert set(by_calendar[0]) == {"id", "resourceId", "calendarId"}
    by_resource = (
        await wire.get(
            "/connect/resource_calendar_mappings/",
            params={"resourceId": demo.group_class_resource_id},
        )
    ).json
    assert [m["calendarId"] for m in by_resource] == [demo.mitte_calendar_id]

    type_maps = (
        await wire.get(
            "/connect/appointment_type_resource_mappings/",
            params={"appointmentTypeId": demo.personal_training_type_id},
        )
    ).json
    assert {m["resourceId"] for m in type_maps} == set(demo.trainer_ids)
    assert set(type_maps[0]) == {"id", "appointmentTypeId", "resourceId"}
    both = (
        await wire.get(
            "/connect/appointment_type_resource_mappings/",
            params={
                "resourceId": demo.group_class_resource_id,
                "appointmentTypeId": demo.group_class_type_id,
            },
        )
    ).json
    assert len(both) == 1


async def test_unknown_path_is_404_envelope(wire: Wire) -> None:
    for path in ("/connect/nope/", "/connect/calendar", "/", "/connect/calendar_bookings/"):
        reply = await wire.get(path)
        assert reply.status in (404, 405)
        assert reply.json["statusCode"] == reply.status
    reply = await wire.get("/connect/nope/", token=None)
    assert reply.json == {"statusCode": 404, "message": "Cannot GET /connect/nope/"}


async def test_wrong_method_is_405_envelope(wire: Wire) -> None:
    reply = await wire.call("PUT", "/connect/calendar/")
    assert reply.status == 405
    assert reply.json == {"statusCode": 405, "message": "Method Not Allowed"}
    assert reply.headers["Allow"]
    reply = await wire.get("/connect/calendar_bookings/")
    assert reply.status == 405
    assert reply.json["statusCode"] == 405


async def test_head_is_a_read(wire: Wire) -> None:
    reply = await wire.call("HEAD", "/connect/calendar/", token="read")
    assert reply.status == 200
