"""Lead entries: create, merge-patch, validation, and their flow events."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from rocketlead_async.testing import FakeRocketLead, ManualClock
from tests.helpers.wire import Wire

ENTRIES = "/connect/table_entries/"


def new_lead(fake: FakeRocketLead, **extra: Any) -> dict[str, Any]:
    return {
        "tableId": fake.demo.table_id,
        "leadStateId": fake.demo.default_lead_state_id,
        "data": {"firstName": {"value": "Ada"}, "email": {"value": "ada@example.com"}},
        **extra,
    }


async def test_create_shape_and_events(wire: Wire, manual_fake: FakeRocketLead) -> None:
    demo = manual_fake.demo
    body = new_lead(
        manual_fake,
        customFieldData={demo.goal_field_id: "Strength"},
        interestedInAppointmentTypeId=demo.trial_session_type_id,
    )
    reply = await wire.post(ENTRIES, body, token="write")
    assert reply.status == 201
    entry = reply.json
    assert entry == {
        "id": entry["id"],
        "tableId": demo.table_id,
        "organizationId": demo.organization_id,
        "archived": False,
        "createdAt": "2027-03-01T12:00:00.000Z",
        "updatedAt": "2027-03-01T12:00:00.000Z",
        "data": body["data"],
        "leadStateId": demo.default_lead_state_id,
        "customFieldData": {demo.goal_field_id: "Strength"},
        "interestedInAppointmentTypeId": demo.trial_session_type_id,
    }
    assert [(e.name, e.subject_id, e.status) for e in manual_fake.events] == [
        ("table.entry.added", entry["id"], "fired"),
        ("table.entry.leadState.changed", entry["id"], "fired"),
    ]


async def test_optional_fields_are_absent_when_unset(
    wire: Wire, manual_fake: FakeRocketLead
) -> None:
    entry = (await wire.post(ENTRIES, new_lead(manual_fake))).json
    assert "customFieldData" not in entry
    assert "interestedInAppointmentTypeId" not in entry


async def test_no_dedup(wire: Wire, manual_fake: FakeRocketLead) -> None:
    first = (await wire.post(ENTRIES, new_lead(manual_fake))).json
    second = (await wire.post(ENTRIES, new_lead(manual_fake))).json
    assert first["id"] != second["id"]
    assert len(manual_fake.state.entries) == len(manual_fake.demo.lead_entry_ids) + 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"tableId": None}, "tableId is required"),
        ({"tableId": "nope"}, "unknown tableId"),
        ({"data": None}, "data is required"),
        ({"data": ["x"]}, "data must be an object"),
        ({"leadStateId": None}, "leadStateId is required"),
        ({"leadStateId": "nope"}, "unknown leadStateId"),
        ({"customFieldData": {"nope": 1}}, "unknown custom field nope"),
        ({"customFieldData": "x"}, "customFieldData must be an object"),
        ({"archived": "no"}, "archived must be a boolean"),
        ({"interestedInAppointmentTypeId": "nope"}, "unknown interestedInAppointmentTypeId"),
    ],
)
async def test_create_validation(
    wire: Wire, manual_fake: FakeRocketLead, change: dict[str, Any], message: str
) -> None:
    body = {k: v for k, v in {**new_lead(manual_fake), **change}.items() if v is not None}
    reply = await wire.post(ENTRIES, body)
    assert (reply.status, reply.json) == (
        400,
        {"statusCode": 400, "message": f"Validation failed: {message}"},
    )
    assert manual_fake.events == []


async def test_foreign_table_is_unknown(wire: Wire, manual_fake: FakeRocketLead) -> None:
    reply = await wire.post(
        ENTRIES, new_lead(manual_fake, tableId=manual_fake.demo.foreign_table_id)
    )
    assert reply.json["message"] == "Validation failed: unknown tableId"


async def patch(wire: Wire, entry_id: str, body: Any) -> Any:
    return await wire.call("PATCH", f"{ENTRIES}{entry_id}", json=body, token="write")


async def test_merge_patch(
    wire: Wire, manual_fake: FakeRocketLead, manual_clock: ManualClock
) -> None:
    demo = manual_fake.demo
    created = (
        await wire.post(
            ENTRIES,
            new_lead(
                manual_fake,
                customFieldData={
                    demo.goal_field_id: "Strength",
                    demo.visits_field_id: 3,
                },
            ),
        )
    ).json
    manual_clock.advance(timedelta(minutes=5))
    reply = await patch(
        wire,
        created["id"],
        {
            "data": {"email": None, "phone": {"value": "+49301"}, "firstName": {"note": "x"}},
            "customFieldData": {demo.visits_field_id: None},
            "archived": True,
        },
    )
    assert reply.status == 200
    entry = reply.json
    assert entry["data"] == {
        "firstName": {"value": "Ada", "note": "x"},
        "phone": {"value": "+49301"},
    }
    assert entry["customFieldData"] == {demo.goal_field_id: "Strength"}
    assert entry["archived"] is True
    assert entry["createdAt"] == created["createdAt"]
    assert entry["updatedAt"] == "2027-03-01T12:05:00.000Z"
    assert entry["leadStateId"] == created["leadStateId"]
    # No lead-state change, no event beyond the two from the create.
    assert len(manual_fake.events) == 2
    stored = manual_fake.state.entries[created["id"]]
    assert stored.updated_at - stored.created_at == timedelta(minutes=5)


async def test_null_removes_optional_fields(wire: Wire, manual_fake: FakeRocketLead) -> None:
    entry_id = manual_fake.demo.lead_entry_ids[0]
    entry = (await patch(wire, entry_id, {"customFieldData": None})).json
    assert "customFieldData" not in entry


async def test_lead_state_change_fires_event(wire: Wire, manual_fake: FakeRocketLead) -> None:
    demo = manual_fake.demo
    jonas = demo.lead_entry_ids[1]
    reply = await patch(wire, jonas, {"leadStateId": demo.contacted_lead_state_id})
    assert reply.json["leadStateId"] == demo.contacted_lead_state_id
    await patch(wire, jonas, {"leadStateId": demo.contacted_lead_state_id})  # unchanged
    assert [(e.name, e.subject_id) for e in manual_fake.events] == [
        ("table.entry.leadState.changed", jonas),
    ]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"id": "x"}, "id cannot be patched"),
        ({"tableId": "x"}, "tableId cannot be patched"),
        ({"organizationId": "x"}, "organizationId cannot be patched"),
        ({"createdAt": "2027-01-01T00:00:00Z"}, "createdAt cannot be patched"),
        ({"leadStateId": "nope"}, "unknown leadStateId"),
        ({"leadStateId": None}, "leadStateId is required"),
        ({"data": None}, "data is required"),
        ({"customFieldData": {"nope": 1}}, "unknown custom field nope"),
        ({"archived": 1}, "archived must be a boolean"),
    ],
)
async def test_patch_validation(
    wire: Wire, manual_fake: FakeRocketLead, body: dict[str, Any], message: str
) -> None:
    entry_id = manual_fake.demo.lead_entry_ids[1]
    before = manual_fake.state.entries[entry_id]
    reply = await patch(wire, entry_id, body)
    assert (reply.status, reply.json["message"]) == (400, f"Validation failed: {message}")
    assert manual_fake.state.entries[entry_id] == before


async def test_patch_unknown_entry_is_404(wire: Wire, manual_fake: FakeRocketLead) -> None:
    reply = await patch(wire, "nope", {"archived": True})
    assert reply.json == {"statusCode": 404, "message": "Table entry not found"}
    token = manual_fake.issue_token(
        "write", organization_id=manual_fake.demo.foreign_organization_id
    )
    foreign = await wire.call(
        "PATCH",
        f"{ENTRIES}{manual_fake.demo.lead_entry_ids[0]}",
        json={"archived": True},
        token=token,
    )
    assert foreign.status == 404


async def test_patch_body_must_be_an_object(wire: Wire, manual_fake: FakeRocketLead) -> None:
    reply = await patch(wire, manual_fake.demo.lead_entry_ids[0], ["archived"])
    assert reply.json["message"] == "Validation failed: body must be a JSON object"


async def test_booking_shows_the_current_lead_state(
    wire: Wire, manual_fake: FakeRocketLead
) -> None:
    demo = manual_fake.demo
    mia = demo.lead_entry_ids[0]
    await patch(wire, mia, {"leadStateId": demo.contacted_lead_state_id})
    slot = (
        await wire.get(
            "/connect/availability/",
            params={
                "calendarId": demo.mitte_calendar_id,
                "appointmentTypeId": demo.trial_session_type_id,
                "start": "2027-03-26T09:00:00Z",
                "end": "2027-03-26T09:30:00Z",
            },
        )
    ).json["data"][0]
    booking = (
        await wire.post(
            "/connect/calendar_bookings/",
            {
                "calendarId": demo.mitte_calendar_id,
                "resourceId": slot["resourceId"],
                "appointmentTypeId": slot["appointmentTypeId"],
                "entryId": mia,
                "startDateTime": slot["startDateTime"],
                "endDateTime": slot["endDateTime"],
            },
        )
    ).json
    assert (booking["leadStateName"], booking["leadStateColor"]) == ("Contacted", "#f59e0b")


@pytest.mark.parametrize(
    ("target", "patch_doc", "result"),
    [  # RFC 7396, Appendix A
        ({"a": "b"}, {"a": "c"}, {"a": "c"}),
        ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
        ({"a": "b"}, {"a": None}, {}),
        ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
        ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
        ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
        ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
        ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
        (["a", "b"], ["c", "d"], ["c", "d"]),
        ({"a": "b"}, ["c"], ["c"]),
        ({"a": "foo"}, None, None),
        ({"a": "foo"}, "bar", "bar"),
        ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
        ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
        ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
    ],
)
def test_merge_patch_follows_rfc_7396(target: Any, patch_doc: Any, result: Any) -> None:
    # The private merge function, against the RFC's whole example table (cheaper than HTTP).
    from rocketlead_async.testing._leads import merge_patch

    assert merge_patch(target, patch_doc) == result
