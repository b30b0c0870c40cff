"""GET /connect/availability/ over the wire against the demo org."""

from __future__ import annotations

from typing import Any

import pytest

from rocketlead_async.testing import FakeRocketLead
from tests.helpers.wire import Wire

SLOT_KEYS = {
    "resourceId",
    "resourceName",
    "resourceColor",
    "resourceSlotId",
    "appointmentTypeId",
    "startDateTime",
    "endDateTime",
    "maxParallelBookings",
    "currentBookings",
    "available",
}


async def availability(wire: Wire, **params: str) -> Any:
    reply = await wire.get("/connect/availability/", token="read", params=params)
    assert reply.status == 200, reply.json
    return reply.json


def personal(fake: FakeRocketLead, **extra: str) -> dict[str, str]:
    return {
        "calendarId": fake.demo.mitte_calendar_id,
        "appointmentTypeId": fake.demo.personal_training_type_id,
        **extra,
    }


async def test_shape_and_meta(wire: Wire, manual_fake: FakeRocketLead) -> None:
    body = await availability(
        wire, **personal(manual_fake, start="2027-03-23T08:00:00Z", end="2027-03-23T10:00:00Z")
    )
    assert set(body) == {"data", "meta"}
    assert body["meta"] == {
        "appointmentTypeName": "Personal Training",
        "defaultBookingLength": 60,
        "bufferAfter": 0,
        "dynamicLength": False,
    }
    assert body["data"]
    for slot in body["data"]:
        assert set(slot) == SLOT_KEYS
        assert slot["appointmentTypeId"] == manual_fake.demo.personal_training_type_id
    starts = [(s["startDateTime"], s["resourceName"]) for s in body["data"]]
    assert starts == [
        ("2027-03-23T08:00:00.000Z", "Anna Schmidt"),
        ("2027-03-23T08:00:00.000Z", "Ben Keller"),
        ("2027-03-23T08:30:00.000Z", "Anna Schmidt"),
        ("2027-03-23T08:30:00.000Z", "Ben Keller"),
        ("2027-03-23T09:00:00.000Z", "Anna Schmidt"),
        ("2027-03-23T09:00:00.000Z", "Ben Keller"),
    ]


@pytest.mark.parametrize(
    ("day", "first", "last"),
    [
        ("2027-03-27", "2027-03-27T08:00:00.000Z", "2027-03-27T16:00:00.000Z"),  # Sat, CET
        ("2027-03-28", "2027-03-28T07:00:00.000Z", "2027-03-28T15:00:00.000Z"),  # Sun, switch
        ("2027-03-29", "2027-03-29T07:00:00.000Z", "2027-03-29T15:00:00.000Z"),  # Mon, CEST
    ],
)
async def test_local_nine_to_six_across_dst(
    wire: Wire, manual_fake: FakeRocketLead, day: str, first: str, last: str
) -> None:
    ben = manual_fake.demo.mitte_trainer_ids[1]
    body = await availability(
        wire,
        **personal(
            manual_fake, resourceId=ben, start=f"{day}T00:00:00+01:00", end=f"{day}T23:59:00+02:00"
        ),
    )
    starts = [s["startDateTime"] for s in body["data"]]
    assert starts[0] == first
    assert starts[-1] == last
    assert len(starts) == 17  # 09:00 .. 17:00 local every 30 min
    assert all(s["available"] for s in body["data"])


async def test_step_length(wire: Wire, manual_fake: FakeRocketLead) -> None:
    ben = manual_fake.demo.mitte_trainer_ids[1]
    window = {"start": "2027-03-23T08:00:00Z", "end": "2027-03-23T11:00:00Z", "resourceId": ben}
    hourly = await availability(wire, **personal(manual_fake, stepLength="60", **window))
    assert [s["startDateTime"][11:16] for s in hourly["data"]] == ["08:00", "09:00", "10:00"]
    quarter = await availability(wire, **personal(manual_fake, stepLength="15", **window))
    assert len(quarter["data"]) == 9


async def test_resource_filter(wire: Wire, manual_fake: FakeRocketLead) -> None:
    anna = manual_fake.demo.mitte_trainer_ids[0]
    body = await availability(
        wire,
        **personal(
            manual_fake, resourceId=anna, start="2027-03-23T08:00:00Z", end="2027-03-23T12:00:00Z"
        ),
    )
    assert {s["resourceId"] for s in body["data"]} == {anna}
    clara = manual_fake.demo.kreuzberg_trainer_ids[0]
    other_location = await availability(
        wire,
        **personal(
            manual_fake, resourceId=clara, start="2027-03-23T08:00:00Z", end="2027-03-23T12:00:00Z"
        ),
    )
    assert other_location["data"] == []


async def test_popular_hour_has_one_seat_and_neighbours_many(
    wire: Wire, manual_fake: FakeRocketLead
) -> None:
    demo = manual_fake.demo
    body = await availability(
        wire,
        **personal(
            manual_fake, start=demo.popular_start.isoformat(), end=demo.popular_end.isoformat()
        ),
    )
    assert [(s["resourceName"], s["available"]) for s in body["data"]] == [
        ("Anna Schmidt", False),
        ("Ben Keller", True),
    ]
    full = body["data"][0]
    assert (full["currentBookings"], full["maxParallelBookings"]) == (1, 1)
    around = await availability(
        wire,
        **personal(manual_fake, start="2027-03-24T11:00:00+01:00", end="2027-03-24T19:00:00+01:00"),
    )
    assert sum(s["available"] for s in around["data"]) >= 15


async def test_blocked_slots_only_with_include_unavailable(
    wire: Wire, manual_fake: FakeRocketLead
) -> None:
    anna = manual_fake.demo.mitte_trainer_ids[0]
    query = personal(
        manual_fake,
        resourceId=anna,
        start="2027-03-22T11:00:00+01:00",
        end="2027-03-22T14:00:00+01:00",
    )
    default = await availability(wire, **query)
    assert [s["startDateTime"] for s in default["data"]] == [
        "2027-03-22T10:00:00.000Z",  # 11:00-12:00, lunch is 12:00-13:00 local
        "2027-03-22T12:00:00.000Z",
    ]
    everything = await availability(wire, **query, includeUnavailable="true")
    blocked = [s for s in everything["data"] if not s["available"]]
    assert [s["startDateTime"] for s in blocked] == [
        "2027-03-22T10:30:00.000Z",
        "2027-03-22T11:00:00.000Z",
        "2027-03-22T11:30:00.000Z",
    ]
    explicit_false = await availability(wire, **query, includeUnavailable="false")
    assert explicit_false == default


async def test_calendar_wide_blocker(wire: Wire, manual_fake: FakeRocketLead) -> None:
    demo = manual_fake.demo
    query = {
        "calendarId": demo.kreuzberg_calendar_id,
        "appointmentTypeId": demo.trial_session_type_id,
        "start": "2027-03-24T12:00:00+01:00",
        "end": "2027-03-24T13:00:00+01:00",
    }
    assert (await availability(wire, **query))["data"] == []
    body = await availability(wire, **query, includeUnavailable="true")
    assert len(body["data"]) == 4  # two trainers x two 30-minute slots, all blocked
    assert not any(s["available"] for s in body["data"])


async def test_group_class_hourly_with_capacity(wire: Wire, manual_fake: FakeRocketLead) -> None:
    demo = manual_fake.demo
    body = await availability(
        wire,
        calendarId=demo.mitte_calendar_id,
        appointmentTypeId=demo.group_class_type_id,
        start="2027-03-24T00:00:00+01:00",
        end="2027-03-25T00:00:00+01:00",
    )
    assert [(s["startDateTime"], s["currentBookings"]) for s in body["data"]] == [
        ("2027-03-24T16:00:00.000Z", 0),
        ("2027-03-24T17:00:00.000Z", 2),
        ("2027-03-24T18:00:00.000Z", 0),
    ]
    assert {s["maxParallelBookings"] for s in body["data"]} == {8}


@pytest.mark.parametrize(
    ("drop", "override", "message"),
    [
        ("calendarId", {}, "Validation failed: calendarId is required"),
        ("appointmentTypeId", {}, "Validation failed: appointmentTypeId is required"),
        ("start", {}, "Validation failed: start is required"),
        ("end", {}, "Validation failed: end is required"),
        (
            None,
            {"start": "2027-03-23T08:00:00"},
            "Validation failed: start must be an ISO-8601 timestamp with offset",
        ),
        (None, {"end": "soon"}, "Validation failed: end must be an ISO-8601 timestamp with offset"),
        (None, {"end": "2027-03-23T07:00:00Z"}, "Validation failed: end must be after start"),
        (
            None,
            {"end": "2029-03-23T07:00:00Z"},
            "Validation failed: the range from start to end must not exceed 366 days",
        ),
        (None, {"stepLength": "0"}, "Validation failed: stepLength must be a positive integer"),
        (None, {"stepLength": "ten"}, "Validation failed: stepLength must be a positive integer"),
        (
            None,
            {"includeUnavailable": "yes"},
            "Validation failed: includeUnavailable must be true or false",
        ),
        (None, {"calendarId": "nope"}, "Validation failed: unknown calendarId"),
        (None, {"appointmentTypeId": "nope"}, "Validation failed: unknown appointmentTypeId"),
        (None, {"resourceId": "nope"}, "Validation failed: unknown resourceId"),
    ],
)
async def test_validation(
    wire: Wire,
    manual_fake: FakeRocketLead,
    drop: str | None,
    override: dict[str, str],
    message: str,
) -> None:
    query = personal(manual_fake, start="2027-03-23T08:00:00Z", end="2027-03-23T10:00:00Z")
    query.update(override)
    if drop:
        del query[drop]
    reply = await wire.get("/connect/availability/", params=query)
    assert (reply.status, reply.json) == (400, {"statusCode": 400, "message": message})


async def test_foreign_calendar_is_unknown(wire: Wire, manual_fake: FakeRocketLead) -> None:
    query = personal(manual_fake, start="2027-03-23T08:00:00Z", end="2027-03-23T10:00:00Z")
    query["calendarId"] = manual_fake.demo.foreign_calendar_id
    reply = await wire.get("/connect/availability/", params=query)
    assert reply.json["message"] == "Validation failed: unknown calendarId"
