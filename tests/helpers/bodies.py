"""Canned Connect API bodies (as the server sends them) and the requests that match them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import rocketlead_async as rl

BERLIN_WINTER = timezone(timedelta(hours=1))
START = datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN_WINTER)
END = datetime(2026, 3, 2, 9, 30, tzinfo=BERLIN_WINTER)

# A lead's phone number: request and response bodies carry it; logs never may.
PHONE = "+49 151 23456789"


def slot_json(
    start: str = "2026-03-02T09:00:00.000+01:00",
    end: str = "2026-03-02T09:30:00.000+01:00",
    **over: Any,
) -> dict[str, Any]:
    slot = {
        "resourceId": "res_anna",
        "resourceName": "Anna (Trainerin)",
        "resourceColor": "#4f9d69",
        "resourceSlotId": "rs_mon_am",
        "appointmentTypeId": "apt_trial",
        "startDateTime": start,
        "endDateTime": end,
        "maxParallelBookings": 2,
        "currentBookings": 0,
        "available": True,
    }
    slot.update(over)
    return slot


def _utc_z(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _with_offset(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def availability_json() -> dict[str, Any]:
    """A day of half-hour slots for two resources, 48 in all; some full, some unavailable."""
    slots = []
    for resource, name in (("res_anna", "Anna"), ("res_ben", "Ben")):
        for index in range(24):
            begin = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN_WINTER) + timedelta(minutes=30 * index)
            # Anna's slots come back in UTC ("Z"), Ben's with the calendar's offset.
            fmt = _utc_z if resource == "res_anna" else _with_offset
            slots.append(
                slot_json(
                    fmt(begin),
                    fmt(begin + timedelta(minutes=30)),
                    resourceId=resource,
                    resourceName=name,
                    resourceSlotId=f"rs_{resource}_{index}",
                    currentBookings=2 if index % 6 == 0 else index % 2,
                    available=index % 5 != 4,
                )
            )
    return {
        "data": slots,
        "meta": {
            "appointmentTypeName": "Probetraining",
            "defaultBookingLength": 30,
            "bufferAfter": 10,
            "dynamicLength": False,
        },
    }


def booking_json(**over: Any) -> dict[str, Any]:
    booking: dict[str, Any] = {
        "organizationId": "org_81f2",
        "calendarId": "cal_berlin",
        "tableEntryId": "entry_77",
        "tableEntryData": {
            "fld_name": {"value": "Erika Mustermann"},
            "fld_phone": {"value": PHONE},
        },
        "tableId": "tbl_leads",
        "tableSchemaFields": {
            "fld_phone": {
                "friendlyName": "Telefon",
                "type": "string",
                "specialType": "phone",
                "primaryOfSpecialType": True,
                "hidden": False,
                "description": "Mobilnummer",
                "validation": {"pattern": "^\\+?[0-9 ]+$", "required": True, "min": 6, "max": 20},
                "frequency": 0.97,
                "lastSeen": "2026-02-27T12:00:00.000Z",
                "isDeprecated": False,
                "converted": False,
                "convertedToCustomFieldId": None,
            },
            "fld_whatsapp": {
                "friendlyName": "WhatsApp",
                "type": "string",
                "specialType": "whatsapp",
                "frequency": 3,
                "lastSeen": "2026-02-27T12:00:00",
                "isDeprecated": False,
                "uiOrder": 4,
            },
        },
        "calendarScheduleTypeId": None,
        "calendarScheduleTypeSlotId": None,
        "resourceId": "res_anna",
        "appointmentTypeId": "apt_trial",
        "resourceSlotId": "rs_mon_am",
        "id": "bk_9001",
        "name": "Probetraining Erika",
        "createdAt": "2026-03-01T10:15:00.123Z",
        "deletedAt": None,
        "startDateTime": "2026-03-02T09:00:00.000+01:00",
        "endDateTime": "2026-03-02T09:30:00.000+01:00",
        "leadStateColor": "#2f80ed",
        "leadStateName": "Neu",
        "chainBookingGroupId": None,
        "bookingSource": "connect",
    }
    booking.update(over)
    return booking


def lead_json(**over: Any) -> dict[str, Any]:
    lead: dict[str, Any] = {
        "tableId": "tbl_leads",
        "id": "entry_77",
        "organizationId": "org_81f2",
        "archived": False,
        "createdAt": "2026-03-01T10:14:59.000Z",
        "updatedAt": "2026-03-01T10:14:59.000Z",
        "data": {"fld_name": {"value": "Erika Mustermann"}, "fld_phone": {"value": PHONE}},
        "leadStateId": "ls_new",
        "customFieldData": {"cf_source": "voice-agent"},
        "interestedInAppointmentTypeId": "apt_trial",
        "assignedUserId": "usr_3",
    }
    lead.update(over)
    return lead


def booking_request(**over: Any) -> rl.BookingRequest:
    fields: dict[str, Any] = {
        "calendar_id": "cal_berlin",
        "start": START,
        "end": END,
        "resource_id": "res_anna",
        "appointment_type_id": "apt_trial",
        "resource_slot_id": "rs_mon_am",
    }
    fields.update(over)
    return rl.BookingRequest(**fields)


def lead_request(**over: Any) -> rl.LeadRequest:
    fields: dict[str, Any] = {
        "table_id": "tbl_leads",
        "data": {"fld_name": {"value": "Erika Mustermann"}, "fld_phone": {"value": PHONE}},
        "lead_state_id": "ls_new",
    }
    fields.update(over)
    return rl.LeadRequest(**fields)


def envelope(status: int, message: Any) -> dict[str, Any]:
    """The API's error envelope."""
    return {"statusCode": status, "message": message}
