"""Models: response models decode the API's JSON into typed fields with aware datetimes, keep
unknown fields, and refuse wrong types naming the field; request models encode to the wire
form and move between slots."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import attrs
import pytest

import rocketlead_async as rl
from rocketlead_async._convert import (
    RESPONSE_MODELS,
    ResponseShapeError,
    structure,
    structure_list,
    unstructure,
    wire_name,
)
from tests.helpers.bodies import (
    END,
    PHONE,
    START,
    availability_json,
    booking_json,
    booking_request,
    lead_json,
    slot_json,
)
from tests.helpers.clients import MakeClient
from tests.helpers.models import MODEL_IDS, known_keys
from tests.helpers.scripted import ScriptedServer

UTC = timezone.utc


# -- decoding -----------------------------------------------------------------------------------


def test_availability_decodes_aware_slots_meta_and_bookable() -> None:
    payload = availability_json()

    av = structure(payload, rl.Availability)

    assert len(av.slots) == 48
    assert all(isinstance(slot, rl.Slot) for slot in av.slots)
    first = av.slots[0]
    assert first.start == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)  # sent as "...07:00:00.000Z"
    assert first.end - first.start == timedelta(minutes=30)
    assert first.resource_id == "res_anna"
    assert first.resource_name == "Anna"
    assert first.resource_color == "#4f9d69"
    assert first.resource_slot_id == "rs_res_anna_0"
    assert first.appointment_type_id == "apt_trial"
    assert first.max_parallel_bookings == 2
    ben = av.slots[24]
    assert ben.start.utcoffset() == timedelta(hours=1)  # the server's offset is kept
    assert ben.start == datetime(2026, 3, 2, 8, 0, tzinfo=timezone(timedelta(hours=1)))
    assert all(slot.start.tzinfo is not None and slot.end.tzinfo is not None for slot in av.slots)
    assert av.meta == rl.AvailabilityMeta(
        appointment_type_name="Probetraining",
        default_booking_length=30,
        buffer_after=10,
        dynamic_length=False,
    )
    expected = [
        raw["resourceSlotId"]
        for raw in payload["data"]
        if raw["available"] and raw["currentBookings"] < raw["maxParallelBookings"]
    ]
    assert [slot.resource_slot_id for slot in av.bookable()] == expected
    assert 0 < len(expected) < 48


def test_booking_decodes_schema_fields_and_keeps_unknowns() -> None:
    booking = structure(booking_json(), rl.Booking)

    assert booking.id == "bk_9001"
    assert booking.organization_id == "org_81f2"
    assert booking.calendar_id == "cal_berlin"
    assert booking.start == START
    assert booking.end == END
    assert booking.created_at == datetime(2026, 3, 1, 10, 15, 0, 123000, tzinfo=UTC)
    assert booking.deleted_at is None
    assert booking.name == "Probetraining Erika"
    assert booking.table_entry_id == "entry_77"  # the request's entryId comes back under this name
    assert booking.table_id == "tbl_leads"
    assert booking.table_entry_data is not None
    assert booking.table_entry_data["fld_phone"] == {"value": PHONE}
    assert (booking.resource_id, booking.appointment_type_id, booking.resource_slot_id) == (
        "res_anna",
        "apt_trial",
        "rs_mon_am",
    )
    assert booking.lead_state_name == "Neu"
    assert booking.lead_state_color == "#2f80ed"
    assert booking.chain_booking_group_id is None
    assert booking.extra == {"bookingSource": "connect"}

    assert booking.table_schema_fields is not None
    phone = booking.table_schema_fields["fld_phone"]
    assert isinstance(phone, rl.TableSchemaField)
    assert phone.friendly_name == "Telefon"
    assert phone.type == "string"
    assert phone.special_type is rl.SpecialType.PHONE
    assert phone.primary_of_special_type is True
    assert phone.hidden is False
    assert phone.description == "Mobilnummer"
    assert phone.validation == rl.FieldValidation(
        pattern="^\\+?[0-9 ]+$", required=True, min=6, max=20
    )
    assert phone.frequency == 0.97
    assert phone.last_seen == datetime(2026, 2, 27, 12, 0, tzinfo=UTC)
    assert phone.is_deprecated is False
    assert phone.converted is False
    assert phone.converted_to_custom_field_id is None

    whatsapp = booking.table_schema_fields["fld_whatsapp"]
    # A specialType newer than the SDK stays a plain string: a booking never fails over a label.
    assert whatsapp.special_type == "whatsapp"
    assert not isinstance(whatsapp.special_type, rl.SpecialType)
    assert whatsapp.validation is None
    assert whatsapp.last_seen == datetime(2026, 2, 27, 12, 0, tzinfo=UTC)  # naive -> UTC
    assert whatsapp.extra == {"uiOrder": 4}


def test_lead_entry_decodes_and_keeps_unknowns() -> None:
    entry = structure(lead_json(), rl.LeadEntry)

    assert entry.id == "entry_77"
    assert entry.table_id == "tbl_leads"
    assert entry.organization_id == "org_81f2"
    assert entry.archived is False
    assert entry.created_at == datetime(2026, 3, 1, 10, 14, 59, tzinfo=UTC)
    assert entry.updated_at.tzinfo is not None
    assert entry.data["fld_phone"] == {"value": PHONE}
    assert entry.lead_state_id == "ls_new"
    assert entry.custom_field_data == {"cf_source": "voice-agent"}
    assert entry.interested_in_appointment_type_id == "apt_trial"
    assert entry.extra == {"assignedUserId": "usr_3"}


def test_table_default_lead_state_is_the_one_marked_default() -> None:
    table = structure(
        {
            "id": "tbl_leads",
            "leadStates": [
                {"id": "ls_won", "name": "Gewonnen", "default": False},
                {"id": "ls_new", "name": "Neu", "color": "#00f", "default": True},
            ],
        },
        rl.Table,
    )
    assert [s.id for s in table.lead_states] == ["ls_won", "ls_new"]
    assert table.default_lead_state == rl.LeadState(
        id=rl.Id("ls_new"), name="Neu", color="#00f", default=True
    )
    assert structure({"id": "t"}, rl.Table).default_lead_state is None


def test_blocker_times_are_aware_and_a_window_keeps_unknown_fields() -> None:
    (blocker,) = structure_list(
        [
            {
                "id": "blk_xmas",
                "resourceId": None,
                "startDateTime": "2026-12-24T00:00:00.000+01:00",
                "endDateTime": "2026-12-27T00:00:00.000+01:00",
            }
        ],
        rl.ResourceSlotBlocker,
    )
    window = structure({"id": "rs_mon_am", "weekday": 1}, rl.ResourceSlot)

    assert blocker.resource_id is None  # blocks the whole calendar
    assert blocker.start == datetime(2026, 12, 23, 23, 0, tzinfo=UTC)
    assert blocker.end is not None
    assert blocker.end.utcoffset() == timedelta(hours=1)
    assert window.extra == {"weekday": 1}


def test_calendar_zoneinfo_and_its_errors() -> None:
    assert rl.Calendar(id=rl.Id("c"), tzdata="Europe/Berlin").zoneinfo == ZoneInfo("Europe/Berlin")
    with pytest.raises(ValueError, match="no tzdata"):
        _ = rl.Calendar(id=rl.Id("c")).zoneinfo
    with pytest.raises(ValueError, match="unknown zone"):
        _ = rl.Calendar(id=rl.Id("c"), tzdata="Mars/Olympus_Mons").zoneinfo


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-02T08:00:00Z", datetime(2026, 3, 2, 8, tzinfo=UTC)),
        ("2026-03-02T08:00:00.000Z", datetime(2026, 3, 2, 8, tzinfo=UTC)),
        ("2026-03-02T09:00:00+01:00", datetime(2026, 3, 2, 8, tzinfo=UTC)),
        ("2026-03-02T08:00:00", datetime(2026, 3, 2, 8, tzinfo=UTC)),  # naive: read as UTC
        ("2026-03-02T08:00:00.250", datetime(2026, 3, 2, 8, 0, 0, 250000, tzinfo=UTC)),
    ],
)
def test_datetimes_out_are_always_aware(text: str, expected: datetime) -> None:
    slot = structure(slot_json(startDateTime=text, endDateTime="2026-03-02T23:00:00Z"), rl.Slot)
    assert slot.start.tzinfo is not None
    assert slot.start.utcoffset() is not None
    assert slot.start == expected


def test_integral_floats_are_ints_and_numeric_ids_are_strings() -> None:
    slot = structure(slot_json(maxParallelBookings=2.0, resourceId=42), rl.Slot)
    assert slot.max_parallel_bookings == 2
    assert type(slot.max_parallel_bookings) is int
    assert slot.resource_id == "42"


# -- strict types -------------------------------------------------------------------------------

BAD_SHAPES: list[tuple[type[Any], dict[str, Any], str]] = [
    (rl.Slot, slot_json(available="yes"), "available"),
    (rl.Slot, slot_json(maxParallelBookings="2"), "max_parallel_bookings"),
    (rl.Slot, slot_json(currentBookings=True), "current_bookings"),
    (rl.Slot, slot_json(startDateTime=1772438400), "start"),
    (rl.Slot, slot_json(endDateTime="next tuesday"), "end"),
    (rl.Slot, slot_json(resourceId=1.5), "resource_id"),
    (rl.Booking, booking_json(createdAt=None), "created_at"),
    (rl.Booking, booking_json(name=["Erika"]), "name"),
    (rl.Booking, booking_json(tableEntryData="phone"), "table_entry_data"),
    (rl.Booking, {k: v for k, v in booking_json().items() if k != "id"}, "id"),
    (rl.LeadState, {"id": "ls", "default": "true"}, "default"),
    (rl.Table, {"id": "t", "leadStates": {"id": "ls"}}, "lead_states"),
]


@pytest.mark.parametrize(("cls", "data", "field"), BAD_SHAPES)
def test_wrong_typed_known_field_is_a_shape_error_naming_it(
    cls: type[Any], data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ResponseShapeError) as info:
        structure(data, cls)
    assert f"$.{field}" in str(info.value)
    assert cls.__name__ in str(info.value)
    assert isinstance(info.value, ValueError)


def test_nested_wrong_type_names_the_path() -> None:
    data = booking_json()
    data["tableSchemaFields"]["fld_phone"]["validation"]["required"] = "yes"
    with pytest.raises(ResponseShapeError, match=r"validation\.required"):
        structure(data, rl.Booking)


def test_wrong_type_in_a_list_names_the_index() -> None:
    with pytest.raises(ResponseShapeError, match=r"\$\[1\]\.id"):
        structure_list([{"id": "c1"}, {"id": 2.5}], rl.Calendar)
    with pytest.raises(ResponseShapeError, match="JSON array"):
        structure_list({"items": []}, rl.Calendar)


async def test_the_shape_error_reaches_the_caller_naming_the_field(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    server.post("/connect/calendar_bookings/", status=201, payload=booking_json(startDateTime=12))
    server.get("/connect/calendar/", payload=[{"id": "c1", "tzdata": 5}])
    # No on_outcome_unknown hook: the unknown outcome is the caller's to handle.
    client = make_client(base_url=server.url, on_outcome_unknown=None)

    with pytest.raises(rl.BookingOutcomeUnknown) as booked:
        await client.bookings.create(booking_request())
    with pytest.raises(rl.UnexpectedResponseError) as listed:
        await client.calendars.list()

    # A 201 we cannot read may still be a booking: the outcome is unknown, not an error.
    cause = booked.value.__cause__
    assert isinstance(cause, rl.UnexpectedResponseError)
    assert cause.status == 201
    assert "$.start" in cause.message
    assert listed.value.status == 200
    assert "$[0].tzdata" in listed.value.message
    assert (listed.value.method, listed.value.path) == ("GET", "/connect/calendar/")


# -- wire names ---------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", RESPONSE_MODELS, ids=MODEL_IDS)
def test_wire_names_are_camelcase(cls: type[Any]) -> None:
    for name in known_keys(cls):
        assert "_" not in name, (cls, name)


def test_every_response_model_is_an_attrs_class_with_extra() -> None:
    assert len(RESPONSE_MODELS) >= 16
    for cls in RESPONSE_MODELS:
        assert "extra" in attrs.fields_dict(cls), cls


def test_datetime_fields_use_start_and_end_on_the_wire() -> None:
    assert wire_name(rl.Slot, "start") == "startDateTime"
    assert wire_name(rl.Booking, "end") == "endDateTime"
    assert wire_name(rl.Availability, "slots") == "data"
    assert wire_name(rl.Booking, "table_entry_id") == "tableEntryId"


# -- request models -----------------------------------------------------------------------------


def test_request_models_omit_none_and_keep_offsets() -> None:
    request = rl.BookingRequest(
        calendar_id="c",
        start=datetime(2026, 7, 1, 9, tzinfo=timezone(timedelta(hours=-4))),
        end=datetime(2026, 7, 1, 10, tzinfo=timezone(timedelta(hours=-4))),
    )
    assert unstructure(request) == {
        "calendarId": "c",
        "startDateTime": "2026-07-01T09:00:00-04:00",
        "endDateTime": "2026-07-01T10:00:00-04:00",
    }
    lead = rl.LeadRequest(table_id="t", data={"f": {"value": None}}, lead_state_id="ls")
    assert unstructure(lead) == {
        "tableId": "t",
        "data": {"f": {"value": None}},
        "leadStateId": "ls",
    }


def test_an_id_of_the_wrong_type_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="calendar_id"):
        rl.BookingRequest(calendar_id=None, start=START, end=END)  # type: ignore[arg-type]


def test_from_slot_passes_the_slots_ids_and_times_back_unchanged() -> None:
    slot = structure(availability_json(), rl.Availability).bookable()[0]

    wire = unstructure(
        rl.BookingRequest.from_slot(slot, calendar_id="cal_berlin", entry_id="entry_77")
    )

    assert wire["resourceSlotId"] == slot.resource_slot_id
    assert wire["resourceId"] == slot.resource_id
    assert wire["appointmentTypeId"] == "apt_trial"
    assert wire["entryId"] == "entry_77"
    assert datetime.fromisoformat(wire["startDateTime"]) == slot.start
    assert datetime.fromisoformat(wire["endDateTime"]) == slot.end
    assert "name" not in wire


def test_for_slot_moves_a_request_to_another_slot() -> None:
    request = booking_request(entry_id="entry_77", name="Erika")
    other = structure(
        slot_json(
            "2026-03-02T10:00:00+01:00",
            "2026-03-02T10:30:00+01:00",
            resourceId="res_ben",
            resourceSlotId="rs_ben",
            appointmentTypeId=None,
        ),
        rl.Slot,
    )
    moved = request.for_slot(other)
    assert (moved.start, moved.resource_id, moved.resource_slot_id) == (
        other.start,
        "res_ben",
        "rs_ben",
    )
    assert (moved.entry_id, moved.name, moved.calendar_id) == ("entry_77", "Erika", "cal_berlin")
    assert moved.appointment_type_id == "apt_trial"  # kept: the slot has none


# -- slots and availability ---------------------------------------------------------------------


def test_slot_helpers() -> None:
    full = structure(slot_json(currentBookings=2, maxParallelBookings=2), rl.Slot)
    free = structure(slot_json(currentBookings=1, maxParallelBookings=2), rl.Slot)
    closed = structure(slot_json(available=False), rl.Slot)
    assert (full.has_room, free.has_room, closed.has_room) == (False, True, False)
    assert free.duration == timedelta(minutes=30)
    assert free.key == ("res_anna", free.start, free.end)


def _availability(*starts: tuple[str, int], resources: tuple[str, ...] = ("a", "b")) -> Any:
    slots = [
        rl.Slot(
            start=START + timedelta(minutes=minutes),
            end=START + timedelta(minutes=minutes + 30),
            available=True,
            max_parallel_bookings=1,
            current_bookings=0 if resource in resources else 1,
            resource_id=rl.Id(resource),
        )
        for resource, minutes in starts
    ]
    return rl.Availability(slots=slots)


def test_nearest_ranks_bookable_slots_by_distance_then_resource_then_earlier() -> None:
    av = _availability(("a", 0), ("b", 60), ("a", 90), ("full", 70), ("b", 120), ("a", 120))
    when = START + timedelta(minutes=70)  # "around ten past ten"
    ranked = av.nearest(when)
    assert [(s.resource_id, s.start - START) for s in ranked] == [
        ("b", timedelta(minutes=60)),
        ("a", timedelta(minutes=90)),
        ("b", timedelta(minutes=120)),  # same distance and start: the order availability gave
        ("a", timedelta(minutes=120)),
        ("a", timedelta(0)),
    ]
    tie = av.nearest(START + timedelta(minutes=120), resource_id="a", limit=2)
    assert [s.resource_id for s in tie] == ["a", "b"]


def test_nearest_filters_by_duration_and_refuses_naive_times() -> None:
    av = _availability(("a", 0), ("b", 60))
    assert av.nearest(START, duration=timedelta(minutes=45)) == []
    assert len(av.nearest(START, duration=timedelta(minutes=30))) == 2
    with pytest.raises(ValueError, match="when must be a timezone-aware"):
        av.nearest(datetime(2026, 3, 2, 9))
    with pytest.raises(ValueError, match="limit"):
        av.nearest(START, limit=-1)
    assert av.nearest(START.astimezone(UTC))[0].start == START
