"""Every endpoint: the exact request on the wire and the typed model that comes back."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from aiohttp import web
from aioresponses import aioresponses

import rocketlead_async as rl

from ._support import (
    END,
    PHONE,
    START,
    TOKEN,
    UA,
    Loopback,
    any_query,
    availability_json,
    body_bytes,
    booking_json,
    booking_request,
    calls,
    lead_json,
    lead_request,
    only_call,
    sent_json,
    url,
)

UTC = timezone.utc


def assert_auth_headers(kwargs: dict[str, Any], *, json_body: bool) -> None:
    headers = kwargs["headers"]
    assert headers["Authorization"] == f"Bearer {TOKEN}"
    assert headers["User-Agent"] == UA
    assert headers["Accept"] == "application/json"
    if json_body:
        assert headers["Content-Type"] == "application/json"
    else:
        assert "Content-Type" not in headers
        assert kwargs["data"] is None


# -- availability -----------------------------------------------------------------------------


async def test_availability_sends_required_query_and_decodes_48_slots(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    payload = availability_json()
    mocked.get(any_query("/connect/availability/"), payload=payload)

    av = await client.availability.get(
        calendar_id="cal_berlin",
        appointment_type_id="apt_trial",
        start=datetime(2026, 3, 2, 8, 0, tzinfo=ZoneInfo("Europe/Berlin")),
        end=datetime(2026, 3, 2, 20, 0, tzinfo=ZoneInfo("Europe/Berlin")),
    )

    method, sent_url, kwargs = only_call(mocked)
    assert method == "GET"
    assert sent_url.path == "/connect/availability/"
    assert dict(sent_url.query) == {
        "calendarId": "cal_berlin",
        "appointmentTypeId": "apt_trial",
        "start": "2026-03-02T08:00:00+01:00",
        "end": "2026-03-02T20:00:00+01:00",
    }
    assert_auth_headers(kwargs, json_body=False)

    assert isinstance(av, rl.Availability)
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


async def test_availability_optional_query_only_when_given(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    mocked.get(any_query("/connect/availability/"), payload={"data": [], "meta": {}}, repeat=True)

    await client.availability.get(
        calendar_id="cal_berlin",
        appointment_type_id="apt_trial",
        start=START,
        end=END,
        resource_id="res_anna",
        include_unavailable=True,
        step_length=15,
    )
    await client.availability.get(
        calendar_id="cal_berlin",
        appointment_type_id="apt_trial",
        start=START,
        end=END,
        include_unavailable=False,
    )

    queries = sorted((dict(u.query) for _, u, _ in calls(mocked)), key=len)
    assert queries[1] == {
        "calendarId": "cal_berlin",
        "appointmentTypeId": "apt_trial",
        "start": "2026-03-02T09:00:00+01:00",
        "end": "2026-03-02T09:30:00+01:00",
        "resourceId": "res_anna",
        "includeUnavailable": "true",
        "stepLength": "15",
    }
    assert set(queries[0]) == {"calendarId", "appointmentTypeId", "start", "end"}


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"start": START.replace(tzinfo=None)}, "start"),
        ({"end": END.replace(tzinfo=None)}, "end"),
        ({"end": START}, "after"),
        ({"end": START - timedelta(minutes=1)}, "after"),
        ({"step_length": 0}, "step_length"),
        ({"calendar_id": ""}, "calendar_id"),
        ({"appointment_type_id": "  "}, "appointment_type_id"),
    ],
)
async def test_availability_rejects_bad_arguments_before_sending(
    mocked: aioresponses, client: rl.RocketLeadClient, kwargs: dict[str, Any], needle: str
) -> None:
    args: dict[str, Any] = {
        "calendar_id": "cal_berlin",
        "appointment_type_id": "apt_trial",
        "start": START,
        "end": END,
    }
    args.update(kwargs)
    with pytest.raises(ValueError, match=needle):
        await client.availability.get(**args)
    assert calls(mocked) == []


# -- bookings ---------------------------------------------------------------------------------


async def test_booking_create_posts_camelcase_body_without_nulls(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    mocked.post(url("/connect/calendar_bookings/"), status=201, payload=booking_json())

    booking = await client.bookings.create(booking_request())

    method, sent_url, kwargs = only_call(mocked)
    assert (method, sent_url.raw_path) == ("POST", "/connect/calendar_bookings/")
    assert_auth_headers(kwargs, json_body=True)
    assert sent_json(kwargs) == {
        "calendarId": "cal_berlin",
        "startDateTime": "2026-03-02T09:00:00+01:00",
        "endDateTime": "2026-03-02T09:30:00+01:00",
        "resourceId": "res_anna",
        "appointmentTypeId": "apt_trial",
        "resourceSlotId": "rs_mon_am",
    }
    assert isinstance(booking, rl.Booking)


async def test_booking_create_sends_lead_link_name_and_legacy_fields(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    mocked.post(url("/connect/calendar_bookings/"), status=201, payload=booking_json())
    request = rl.BookingRequest(
        calendar_id="cal_legacy",
        start=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
        end=datetime(2026, 3, 2, 8, 45, tzinfo=UTC),
        entry_id="entry_77",
        name="Probetraining Erika",
        schedule_type_id="st_1",
        schedule_type_slot_id="sts_9",
    )

    await client.bookings.create(request)

    assert sent_json(only_call(mocked)[2]) == {
        "calendarId": "cal_legacy",
        "startDateTime": "2026-03-02T08:00:00+00:00",
        "endDateTime": "2026-03-02T08:45:00+00:00",
        "entryId": "entry_77",
        "name": "Probetraining Erika",
        "scheduleTypeId": "st_1",
        "scheduleTypeSlotId": "sts_9",
    }


async def test_booking_from_slot_passes_resource_slot_id_back_unchanged(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    mocked.get(any_query("/connect/availability/"), payload=availability_json())
    mocked.post(url("/connect/calendar_bookings/"), status=201, payload=booking_json())
    av = await client.availability.get(
        calendar_id="cal_berlin", appointment_type_id="apt_trial", start=START, end=END
    )
    slot = av.bookable()[0]

    await client.bookings.create(
        rl.BookingRequest.from_slot(slot, calendar_id="cal_berlin", entry_id="entry_77")
    )

    posts = [kwargs for method, _, kwargs in calls(mocked) if method == "POST"]
    body = sent_json(posts[0])
    assert body["resourceSlotId"] == slot.resource_slot_id
    assert body["resourceId"] == slot.resource_id
    assert body["appointmentTypeId"] == "apt_trial"
    assert body["entryId"] == "entry_77"
    assert datetime.fromisoformat(body["startDateTime"]) == slot.start
    assert datetime.fromisoformat(body["endDateTime"]) == slot.end
    assert "name" not in body


async def test_booking_response_decodes_schema_fields_and_keeps_unknowns(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    mocked.post(url("/connect/calendar_bookings/"), status=201, payload=booking_json())

    booking = await client.bookings.create(booking_request())

    assert booking.id == "bk_9001"
    assert booking.organization_id == "org_81f2"
    assert booking.calendar_id == "cal_berlin"
    assert booking.start == START
    assert booking.end == END
    assert booking.created_at == datetime(2026, 3, 1, 10, 15, 0, 123000, tzinfo=UTC)
    assert booking.created_at.tzinfo is not None
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


async def test_booking_delete_sends_item_path_and_returns_none_on_204(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    mocked.delete(url("/connect/calendar_bookings/bk_9001"), status=204)

    assert await client.bookings.delete("bk_9001") is None  # type: ignore[func-returns-value]

    method, sent_url, kwargs = only_call(mocked)
    assert (method, sent_url.raw_path) == ("DELETE", "/connect/calendar_bookings/bk_9001")
    assert_auth_headers(kwargs, json_body=False)


# -- lookups ----------------------------------------------------------------------------------

CALENDARS = [
    {"id": "cal_berlin", "name": "Berlin Mitte", "tzdata": "Europe/Berlin", "organizationId": "o"},
    {"id": "cal_nyc", "name": "New York", "tzdata": "America/New_York", "color": "#123456"},
]


@pytest.mark.parametrize("wrapped", [False, True], ids=["bare-array", "data-wrapped"])
async def test_calendar_list_accepts_bare_array_and_data_wrapper(
    mocked: aioresponses, client: rl.RocketLeadClient, wrapped: bool
) -> None:
    payload: Any = {"data": CALENDARS} if wrapped else CALENDARS
    mocked.get(url("/connect/calendar/"), payload=payload)

    calendars = await client.calendars.list()

    method, sent_url, kwargs = only_call(mocked)
    assert (method, sent_url.raw_path, sent_url.query_string) == ("GET", "/connect/calendar/", "")
    assert_auth_headers(kwargs, json_body=False)
    assert [c.id for c in calendars] == ["cal_berlin", "cal_nyc"]
    assert calendars[0] == rl.Calendar(
        id=rl.Id("cal_berlin"),
        name="Berlin Mitte",
        tzdata="Europe/Berlin",
        organization_id=rl.Id("o"),
    )
    assert calendars[0].zoneinfo == ZoneInfo("Europe/Berlin")
    assert calendars[1].extra == {"color": "#123456"}


async def test_calendar_get_by_id(mocked: aioresponses, client: rl.RocketLeadClient) -> None:
    mocked.get(url("/connect/calendar/cal_berlin"), payload=CALENDARS[0])

    calendar = await client.calendars.get("cal_berlin")

    assert only_call(mocked)[1].raw_path == "/connect/calendar/cal_berlin"
    assert calendar.tzdata == "Europe/Berlin"


LOOKUPS: list[tuple[str, str, dict[str, Any], type[Any], dict[str, Any]]] = [
    (
        "resources",
        "/connect/resources/",
        {"id": "res_anna", "name": "Anna", "color": "#4f9d69", "maxParallelBookings": 2},
        rl.Resource,
        {"max_parallel_bookings": 2, "name": "Anna"},
    ),
    (
        "appointment_types",
        "/connect/appointment_types/",
        {"id": "apt_trial", "name": "Probetraining", "bookingLength": 30, "searchLength": 15},
        rl.AppointmentType,
        {"booking_length": 30, "search_length": 15},
    ),
    (
        "tables",
        "/connect/tables/",
        {
            "id": "tbl_leads",
            "name": "Leads Berlin",
            "leadStates": [
                {"id": "ls_won", "name": "Gewonnen", "color": "#0f0", "default": False},
                {"id": "ls_new", "name": "Neu", "color": "#00f", "default": True},
            ],
        },
        rl.Table,
        {"name": "Leads Berlin"},
    ),
]


@pytest.mark.parametrize(
    ("attr", "path", "item", "model", "expected"), LOOKUPS, ids=[x[0] for x in LOOKUPS]
)
async def test_lookup_list_and_get(
    mocked: aioresponses,
    client: rl.RocketLeadClient,
    attr: str,
    path: str,
    item: dict[str, Any],
    model: type[Any],
    expected: dict[str, Any],
) -> None:
    mocked.get(url(path), payload=[item])
    mocked.get(url(path + item["id"]), payload=item)
    namespace = getattr(client, attr)

    listed = await namespace.list()
    got = await namespace.get(item["id"])

    assert sorted((m, u.raw_path) for m, u, _ in calls(mocked)) == [
        ("GET", path),
        ("GET", path + item["id"]),
    ]
    assert listed == [got]
    assert isinstance(got, model)
    assert got.id == item["id"]
    for name, value in expected.items():
        assert getattr(got, name) == value


async def test_table_default_lead_state_is_the_new_state(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    mocked.get(url("/connect/tables/tbl_leads"), payload=LOOKUPS[2][2])

    table = await client.tables.get("tbl_leads")

    assert [s.id for s in table.lead_states] == ["ls_won", "ls_new"]
    assert table.default_lead_state == rl.LeadState(
        id=rl.Id("ls_new"), name="Neu", color="#00f", default=True
    )


FILTERED: list[tuple[str, str, dict[str, str], dict[str, str], dict[str, Any], type[Any]]] = [
    (
        "resource_slots",
        "/connect/resource_slots/",
        {"calendar_id": "cal_berlin"},
        {"calendarId": "cal_berlin"},
        {"id": "rs_mon_am", "calendarId": "cal_berlin", "resourceId": "res_anna", "weekday": 1},
        rl.ResourceSlot,
    ),
    (
        "resource_slot_blockers",
        "/connect/resource_slot_blockers/",
        {"calendar_id": "cal_berlin"},
        {"calendarId": "cal_berlin"},
        {
            "id": "blk_xmas",
            "calendarId": "cal_berlin",
            "resourceId": None,
            "name": "Weihnachten",
            "startDateTime": "2026-12-24T00:00:00.000+01:00",
            "endDateTime": "2026-12-27T00:00:00.000+01:00",
        },
        rl.ResourceSlotBlocker,
    ),
    (
        "resource_calendar_mappings",
        "/connect/resource_calendar_mappings/",
        {"calendar_id": "cal_berlin", "resource_id": "res_anna"},
        {"calendarId": "cal_berlin", "resourceId": "res_anna"},
        {"id": "m1", "resourceId": "res_anna", "calendarId": "cal_berlin"},
        rl.ResourceCalendarMapping,
    ),
    (
        "appointment_type_resource_mappings",
        "/connect/appointment_type_resource_mappings/",
        {"appointment_type_id": "apt_trial", "resource_id": "res_anna"},
        {"appointmentTypeId": "apt_trial", "resourceId": "res_anna"},
        {"id": "m2", "appointmentTypeId": "apt_trial", "resourceId": "res_anna"},
        rl.AppointmentTypeResourceMapping,
    ),
]


@pytest.mark.parametrize(
    ("attr", "path", "kwargs", "query", "item", "model"), FILTERED, ids=[x[0] for x in FILTERED]
)
async def test_filtered_lists_send_only_given_filters(
    mocked: aioresponses,
    client: rl.RocketLeadClient,
    attr: str,
    path: str,
    kwargs: dict[str, str],
    query: dict[str, str],
    item: dict[str, Any],
    model: type[Any],
) -> None:
    mocked.get(any_query(path), payload=[item])

    result = await getattr(client, attr).list(**kwargs)

    method, sent_url, _ = only_call(mocked)
    assert (method, sent_url.path) == ("GET", path)
    assert dict(sent_url.query) == query
    assert len(result) == 1
    assert isinstance(result[0], model)
    assert result[0].id == item["id"]


async def test_blocker_times_are_aware_and_unknown_fields_kept(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    mocked.get(any_query("/connect/resource_slot_blockers/"), payload=[FILTERED[1][4]])
    mocked.get(any_query("/connect/resource_slots/"), payload={"data": [FILTERED[0][4]]})

    (blocker,) = await client.resource_slot_blockers.list(calendar_id="cal_berlin")
    (window,) = await client.resource_slots.list(calendar_id="cal_berlin")

    assert blocker.resource_id is None  # blocks the whole calendar
    assert blocker.start == datetime(2026, 12, 23, 23, 0, tzinfo=UTC)
    assert blocker.end is not None
    assert blocker.end.utcoffset() == timedelta(hours=1)
    assert window.extra == {"weekday": 1}


@pytest.mark.parametrize(
    "attr", ["resource_calendar_mappings", "appointment_type_resource_mappings"]
)
async def test_mapping_lists_without_filters_send_no_query(
    mocked: aioresponses, client: rl.RocketLeadClient, attr: str
) -> None:
    mocked.get(any_query(f"/connect/{attr}/"), payload=[])

    assert await getattr(client, attr).list() == []

    assert only_call(mocked)[1].query_string == ""


# -- leads ------------------------------------------------------------------------------------


async def test_lead_create_posts_body_and_decodes_entry(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    mocked.post(url("/connect/table_entries/"), status=201, payload=lead_json())

    entry = await client.leads.create(lead_request())

    method, sent_url, kwargs = only_call(mocked)
    assert (method, sent_url.raw_path) == ("POST", "/connect/table_entries/")
    assert_auth_headers(kwargs, json_body=True)
    assert sent_json(kwargs) == {
        "tableId": "tbl_leads",
        "data": {"fld_name": {"value": "Erika Mustermann"}, "fld_phone": {"value": PHONE}},
        "leadStateId": "ls_new",
    }
    assert isinstance(entry, rl.LeadEntry)
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


async def test_lead_create_sends_optional_fields_when_given(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    mocked.post(url("/connect/table_entries/"), status=201, payload=lead_json())

    await client.leads.create(
        lead_request(
            custom_field_data={"cf_source": "voice-agent"},
            interested_in_appointment_type_id="apt_trial",
        )
    )

    body = sent_json(only_call(mocked)[2])
    assert body["customFieldData"] == {"cf_source": "voice-agent"}
    assert body["interestedInAppointmentTypeId"] == "apt_trial"
    assert None not in body.values()


async def test_lead_update_sends_merge_patch_with_json_null(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    mocked.patch(url("/connect/table_entries/entry_77"), payload=lead_json(leadStateId="ls_won"))

    entry = await client.leads.update(
        "entry_77",
        {"leadStateId": "ls_won", "customFieldData": None, "data": {"fld_phone": None}},
    )

    method, sent_url, kwargs = only_call(mocked)
    assert (method, sent_url.raw_path) == ("PATCH", "/connect/table_entries/entry_77")
    assert_auth_headers(kwargs, json_body=True)
    raw = body_bytes(kwargs["data"])
    assert json.loads(raw) == {
        "leadStateId": "ls_won",
        "customFieldData": None,
        "data": {"fld_phone": None},
    }
    assert b'"customFieldData":null' in raw.replace(b" ", b"")
    assert entry.lead_state_id == "ls_won"


@pytest.mark.parametrize(
    ("patch", "error"),
    [({}, ValueError), ({1: "x"}, TypeError), (["leadStateId"], TypeError)],
)
async def test_lead_update_rejects_bad_patches_before_sending(
    mocked: aioresponses, client: rl.RocketLeadClient, patch: Any, error: type[Exception]
) -> None:
    with pytest.raises(error):
        await client.leads.update("entry_77", patch)
    assert calls(mocked) == []


# -- ids --------------------------------------------------------------------------------------

IdCall = Callable[[rl.RocketLeadClient, Any], Awaitable[Any]]
ID_CALLS: dict[str, tuple[IdCall, str]] = {
    "calendars.get": (lambda c, i: c.calendars.get(i), "/connect/calendar/"),
    "resources.get": (lambda c, i: c.resources.get(i), "/connect/resources/"),
    "appointment_types.get": (
        lambda c, i: c.appointment_types.get(i),
        "/connect/appointment_types/",
    ),
    "tables.get": (lambda c, i: c.tables.get(i), "/connect/tables/"),
    "bookings.delete": (lambda c, i: c.bookings.delete(i), "/connect/calendar_bookings/"),
    "leads.update": (
        lambda c, i: c.leads.update(i, {"leadStateId": "ls_won"}),
        "/connect/table_entries/",
    ),
}
BAD_IDS = ["", "   ", "a/b", "../admin", "a?b=1", "a#frag", "..", "x..y", "a\\b", "\n"]


@pytest.mark.parametrize("name", list(ID_CALLS))
@pytest.mark.parametrize("bad", BAD_IDS)
async def test_unsafe_ids_are_refused_before_any_request(
    mocked: aioresponses, client: rl.RocketLeadClient, name: str, bad: str
) -> None:
    call, _ = ID_CALLS[name]
    with pytest.raises(ValueError):  # noqa: PT011 - the message varies with the reason
        await call(client, bad)
    assert calls(mocked) == []


@pytest.mark.parametrize("name", list(ID_CALLS))
async def test_non_string_ids_are_a_type_error(
    mocked: aioresponses, client: rl.RocketLeadClient, name: str
) -> None:
    call, _ = ID_CALLS[name]
    with pytest.raises(TypeError):
        await call(client, 123)
    assert calls(mocked) == []


@pytest.mark.parametrize("name", list(ID_CALLS))
async def test_ids_are_url_quoted(
    mocked: aioresponses, client: rl.RocketLeadClient, name: str
) -> None:
    call, prefix = ID_CALLS[name]
    quoted = prefix + "a%20b%2Bc%40%C3%BC%25%3A"
    if name == "leads.update":
        mocked.patch(url(quoted), payload=lead_json())
    elif name == "bookings.delete":
        mocked.delete(url(quoted), status=204)
    else:
        mocked.get(url(quoted), payload={"id": "a b+c@ü%:"})

    await call(client, "a b+c@ü%:")

    assert only_call(mocked)[1].raw_path == quoted


# -- the real wire ----------------------------------------------------------------------------


async def test_every_endpoint_on_a_real_socket(
    loopback: Callable[..., Awaitable[Loopback]], make_client: Callable[..., rl.RocketLeadClient]
) -> None:
    """Method, raw path (trailing slashes, quoting), query encoding and headers as they arrive
    at a server; aioresponses only sees what the SDK handed to aiohttp."""

    async def handler(request: web.Request) -> web.StreamResponse:
        path = request.path
        if request.method == "DELETE":
            return web.Response(status=204)
        if path == "/connect/availability/":
            return web.json_response({"data": [], "meta": {}})
        if path == "/connect/calendar_bookings/":
            return web.json_response(booking_json(), status=201)
        if path.startswith("/connect/table_entries/"):
            return web.json_response(lead_json())
        if path.endswith("/"):
            return web.json_response([])
        return web.json_response(
            {
                "id": path.rsplit("/", 1)[1],
                "appointmentTypeId": "a",
                "resourceId": "r",
                "calendarId": "c",
            }
        )

    server = await loopback(handler)
    client = make_client(base_url=server.url)
    tz = ZoneInfo("Europe/Berlin")

    await client.availability.get(
        calendar_id="cal 1&x",
        appointment_type_id="apt_trial",
        start=datetime(2026, 3, 2, 9, tzinfo=tz),
        end=datetime(2026, 3, 2, 17, tzinfo=tz),
        step_length=30,
    )
    await client.bookings.create(booking_request())
    await client.bookings.delete("bk 9001")
    for attr in ("calendars", "resources", "appointment_types", "tables"):
        await getattr(client, attr).list()
        await getattr(client, attr).get("id-ok")
    await client.resource_slots.list(calendar_id="cal_berlin")
    await client.resource_slot_blockers.list(calendar_id="cal_berlin")
    await client.resource_calendar_mappings.list(resource_id="res_anna")
    await client.appointment_type_resource_mappings.list(appointment_type_id="apt_trial")
    await client.leads.create(lead_request())
    await client.leads.update("entry_77", {"leadStateId": None})

    assert [(s.method, s.raw_path) for s in server.seen] == [
        (
            "GET",
            "/connect/availability/?calendarId=cal+1%26x&appointmentTypeId=apt_trial"
            "&start=2026-03-02T09:00:00%2B01:00&end=2026-03-02T17:00:00%2B01:00&stepLength=30",
        ),
        ("POST", "/connect/calendar_bookings/"),
        ("DELETE", "/connect/calendar_bookings/bk%209001"),
        ("GET", "/connect/calendar/"),
        ("GET", "/connect/calendar/id-ok"),
        ("GET", "/connect/resources/"),
        ("GET", "/connect/resources/id-ok"),
        ("GET", "/connect/appointment_types/"),
        ("GET", "/connect/appointment_types/id-ok"),
        ("GET", "/connect/tables/"),
        ("GET", "/connect/tables/id-ok"),
        ("GET", "/connect/resource_slots/?calendarId=cal_berlin"),
        ("GET", "/connect/resource_slot_blockers/?calendarId=cal_berlin"),
        ("GET", "/connect/resource_calendar_mappings/?resourceId=res_anna"),
        ("GET", "/connect/appointment_type_resource_mappings/?appointmentTypeId=apt_trial"),
        ("POST", "/connect/table_entries/"),
        ("PATCH", "/connect/table_entries/entry_77"),
    ]
    for seen in server.seen:
        assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
        assert seen.headers["User-Agent"] == UA
        if seen.method in ("POST", "PATCH"):
            assert seen.headers["Content-Type"] == "application/json"
        else:
            assert seen.body == b""
    assert json.loads(server.seen[-1].body) == {"leadStateId": None}
    assert json.loads(server.seen[1].body)["startDateTime"] == "2026-03-02T09:00:00+01:00"
