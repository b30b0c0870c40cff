"""The wire data the overhead, decode and memory benchmarks use, built once, deterministically.

- ``booking_json()``: a booking as ``POST /connect/calendar_bookings/`` answers it for a voice
  agent that links the caller's lead (``entryId``): the lead's data and a six-field
  ``tableSchemaFields``, the shape FakeRocketLead answers (about 1.6 KB).
- ``availability_json()``: 48 slots (4 trainers x 12 half-hourly starts) plus ``meta``, as
  ``GET /connect/availability/`` answers it (about 13 KB).
- ``booking_request()`` / ``availability_query()``: what the client sends for them.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "AVAILABILITY_PATH",
    "BOOKINGS_PATH",
    "RACE_PREFIX",
    "SLOT_TAKEN",
    "TOKEN",
    "availability_json",
    "availability_query",
    "booking_json",
    "booking_request_fields",
]

BOOKINGS_PATH = "/connect/calendar_bookings/"
AVAILABILITY_PATH = "/connect/availability/"
RACE_PREFIX = "/race"  # base URL path under which the requested slot is always taken
SLOT_TAKEN = "The selected time slot is no longer available"
TOKEN = "rocketlead_live_" + "0123456789abcdef" * 4

_START = datetime(2027, 3, 24, 14, 0, tzinfo=timezone.utc)  # Wed 15:00 Berlin
_CREATED = datetime(2027, 3, 20, 9, 41, 7, 123000, tzinfo=timezone.utc)
_TRAINERS = ("Anna Schmidt", "Ben Keller", "Clara Wolf", "Deniz Aydin")
_COLORS = ("#e4572e", "#17bebb", "#ffc914", "#76b041")


def _id(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"rocketlead-bench/{name}"))


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def booking_request_fields() -> dict[str, Any]:
    """Keyword arguments of the ``BookingRequest`` both clients send (aware datetimes)."""
    return {
        "calendar_id": _id("calendar"),
        "start": _START,
        "end": _START + timedelta(hours=1),
        "resource_id": _id("trainer/0"),
        "appointment_type_id": _id("type/personal"),
        "resource_slot_id": _id("window/0"),
        "entry_id": _id("lead"),
        "name": "Mia Wagner",
    }


def _schema_field(
    name: str, kind: str, special: str | None, *, required: bool = False
) -> dict[str, Any]:
    field: dict[str, Any] = {"friendlyName": name, "type": kind}
    if special is not None:
        field["specialType"] = special
    field.update(
        hidden=False,
        validation={"required": required},
        frequency=412,
        lastSeen=_ts(_CREATED),
        isDeprecated=False,
    )
    return field


def booking_json() -> dict[str, Any]:
    """A created booking linked to a lead."""
    request = booking_request_fields()
    return {
        "organizationId": _id("org"),
        "calendarId": request["calendar_id"],
        "id": _id("booking"),
        "name": request["name"],
        "createdAt": _ts(_CREATED),
        "startDateTime": _ts(request["start"]),
        "endDateTime": _ts(request["end"]),
        "resourceId": request["resource_id"],
        "appointmentTypeId": request["appointment_type_id"],
        "resourceSlotId": request["resource_slot_id"],
        "deletedAt": None,
        "chainBookingGroupId": None,
        "tableEntryId": request["entry_id"],
        "tableEntryData": {
            "firstName": {"value": "Mia"},
            "lastName": {"value": "Wagner"},
            "phone": {"value": "+4930123456"},
            "email": {"value": "mia@example.com"},
        },
        "tableId": _id("table"),
        "tableSchemaFields": {
            "firstName": _schema_field("First name", "text", "firstName", required=True),
            "lastName": _schema_field("Last name", "text", "lastName"),
            "phone": _schema_field("Phone", "phone", "phone"),
            "email": _schema_field("Email", "email", "email"),
            _id("field/goal"): _schema_field("Training goal", "text", None),
            _id("field/visits"): _schema_field("Visits per week", "number", None),
        },
        "leadStateName": "Booked",
        "leadStateColor": "#10b981",
    }


def availability_json(slots: int = 48) -> dict[str, Any]:
    """``slots`` slots: the four trainers at every half hour from 09:00 Berlin, then meta."""
    data = []
    for index in range(slots):
        step, trainer = divmod(index, len(_TRAINERS))
        start = _START - timedelta(hours=6) + timedelta(minutes=30 * step)
        current = 1 if (step + trainer) % 5 == 0 else 0
        data.append(
            {
                "resourceId": _id(f"trainer/{trainer}"),
                "resourceName": _TRAINERS[trainer],
                "resourceColor": _COLORS[trainer],
                "resourceSlotId": _id(f"window/{trainer}"),
                "appointmentTypeId": _id("type/personal"),
                "startDateTime": _ts(start),
                "endDateTime": _ts(start + timedelta(hours=1)),
                "maxParallelBookings": 1,
                "currentBookings": current,
                "available": current == 0,
            }
        )
    meta = {
        "appointmentTypeName": "Personal Training",
        "defaultBookingLength": 60,
        "bufferAfter": 0,
        "dynamicLength": False,
    }
    return {"data": data, "meta": meta}


def availability_query() -> dict[str, Any]:
    """Keyword arguments of ``client.availability.get`` for the 48-slot answer."""
    start = _START - timedelta(hours=6)
    return {
        "calendar_id": _id("calendar"),
        "appointment_type_id": _id("type/personal"),
        "start": start,
        "end": start + timedelta(hours=7),
    }
