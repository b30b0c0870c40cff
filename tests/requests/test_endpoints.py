"""Every endpoint: the exact request that reaches a server (method, raw path and query, headers,
JSON body) and the typed result that comes back; ids that could reach another path are refused
before any request."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import unquote

import attrs
import pytest

import rocketlead_async as rl
from rocketlead_async._convert import structure, structure_list

# The namespaces' common base, private: how the matrix finds every call, present and future.
from rocketlead_async.resources._base import Resource
from tests.helpers.bodies import (
    END,
    PHONE,
    START,
    availability_json,
    booking_json,
    booking_request,
    lead_json,
    lead_request,
)
from tests.helpers.clients import TOKEN, UA
from tests.helpers.scripted import Answer, ScriptedServer

UTC = timezone.utc

CALENDAR = {
    "id": "cal_berlin",
    "name": "Berlin Mitte",
    "tzdata": "Europe/Berlin",
    "organizationId": "o",
}
NYC = {"id": "cal_nyc", "name": "New York", "tzdata": "America/New_York", "color": "#123456"}
CALENDARS = [
    rl.Calendar(
        id=rl.Id("cal_berlin"),
        name="Berlin Mitte",
        tzdata="Europe/Berlin",
        organization_id=rl.Id("o"),
    ),
    rl.Calendar(
        id=rl.Id("cal_nyc"), name="New York", tzdata="America/New_York", extra={"color": "#123456"}
    ),
]
RESOURCE = {"id": "res_anna", "name": "Anna", "color": "#4f9d69", "maxParallelBookings": 2}
ANNA = rl.Resource(id=rl.Id("res_anna"), name="Anna", color="#4f9d69", max_parallel_bookings=2)
TYPE = {"id": "apt_trial", "name": "Probetraining", "bookingLength": 30, "searchLength": 15}
TRIAL = rl.AppointmentType(
    id=rl.Id("apt_trial"), name="Probetraining", booking_length=30, search_length=15
)
TABLE = {
    "id": "tbl_leads",
    "name": "Leads Berlin",
    "leadStates": [
        {"id": "ls_won", "name": "Gewonnen", "color": "#0f0", "default": False},
        {"id": "ls_new", "name": "Neu", "color": "#00f", "default": True},
    ],
}
LEADS = rl.Table(
    id=rl.Id("tbl_leads"),
    name="Leads Berlin",
    lead_states=[
        rl.LeadState(id=rl.Id("ls_won"), name="Gewonnen", color="#0f0", default=False),
        rl.LeadState(id=rl.Id("ls_new"), name="Neu", color="#00f", default=True),
    ],
)
WINDOW = {"id": "rs_mon_am", "calendarId": "cal_berlin", "resourceId": "res_anna", "weekday": 1}
BLOCKER = {
    "id": "blk_xmas",
    "calendarId": "cal_berlin",
    "resourceId": None,
    "name": "Weihnachten",
    "startDateTime": "2026-12-24T00:00:00.000+01:00",
    "endDateTime": "2026-12-27T00:00:00.000+01:00",
}
PLACED = {"id": "m1", "resourceId": "res_anna", "calendarId": "cal_berlin"}
OFFERS = {"id": "m2", "appointmentTypeId": "apt_trial", "resourceId": "res_anna"}
LEAD_BODY = {
    "tableId": "tbl_leads",
    "data": {"fld_name": {"value": "Erika Mustermann"}, "fld_phone": {"value": PHONE}},
    "leadStateId": "ls_new",
}


@attrs.frozen
class Endpoint:
    """One call and what must happen on the wire: ``raw_path`` is the path and query exactly
    as they arrive (still percent-encoded); ``sent`` the JSON body (``None``: no body at all);
    ``returns`` the call's exact result."""

    name: str
    call: Callable[[rl.RocketLeadClient], Awaitable[Any]]
    method: str
    raw_path: str
    answer: Answer
    returns: Any
    sent: Any = None


def _found(payload: Any, status: int = 200) -> Answer:
    return Answer(status=status, payload=payload)


ENDPOINTS = [
    Endpoint(
        "availability.get, every option",
        lambda c: c.availability.get(
            calendar_id="cal 1&x",
            appointment_type_id="apt_trial",
            start=START,
            end=END,
            resource_id="res_anna",
            include_unavailable=True,
            step_length=15,
        ),
        "GET",
        "/connect/availability/?calendarId=cal+1%26x&appointmentTypeId=apt_trial"
        "&start=2026-03-02T09:00:00%2B01:00&end=2026-03-02T09:30:00%2B01:00"
        "&resourceId=res_anna&includeUnavailable=true&stepLength=15",
        _found(availability_json()),
        structure(availability_json(), rl.Availability),
    ),
    Endpoint(
        "availability.get, the required query only",
        lambda c: c.availability.get(
            calendar_id="cal_berlin",
            appointment_type_id="apt_trial",
            start=START.astimezone(UTC),
            end=END,
            include_unavailable=False,
        ),
        "GET",
        "/connect/availability/?calendarId=cal_berlin&appointmentTypeId=apt_trial"
        "&start=2026-03-02T08:00:00%2B00:00&end=2026-03-02T09:30:00%2B01:00",
        _found({"data": [], "meta": {}}),
        rl.Availability(slots=[], meta=rl.AvailabilityMeta()),
    ),
    Endpoint(
        "bookings.create, camelCase without nulls",
        lambda c: c.bookings.create(booking_request()),
        "POST",
        "/connect/calendar_bookings/",
        _found(booking_json(), 201),
        structure(booking_json(), rl.Booking),
        {
            "calendarId": "cal_berlin",
            "startDateTime": "2026-03-02T09:00:00+01:00",
            "endDateTime": "2026-03-02T09:30:00+01:00",
            "resourceId": "res_anna",
            "appointmentTypeId": "apt_trial",
            "resourceSlotId": "rs_mon_am",
        },
    ),
    Endpoint(
        "bookings.create, lead link, name and legacy fields",
        lambda c: c.bookings.create(
            rl.BookingRequest(
                calendar_id="cal_legacy",
                start=datetime(2026, 3, 2, 8, 0, tzinfo=UTC),
                end=datetime(2026, 3, 2, 8, 45, tzinfo=UTC),
                entry_id="entry_77",
                name="Probetraining Erika",
                schedule_type_id="st_1",
                schedule_type_slot_id="sts_9",
            )
        ),
        "POST",
        "/connect/calendar_bookings/",
        _found(booking_json(), 201),
        structure(booking_json(), rl.Booking),
        {
            "calendarId": "cal_legacy",
            "startDateTime": "2026-03-02T08:00:00+00:00",
            "endDateTime": "2026-03-02T08:45:00+00:00",
            "entryId": "entry_77",
            "name": "Probetraining Erika",
            "scheduleTypeId": "st_1",
            "scheduleTypeSlotId": "sts_9",
        },
    ),
    Endpoint(
        "bookings.delete, 204",
        lambda c: c.bookings.delete("bk 9001"),
        "DELETE",
        "/connect/calendar_bookings/bk%209001",
        Answer(status=204),
        None,
    ),
    Endpoint(
        "calendars.list, a bare array",
        lambda c: c.calendars.list(),
        "GET",
        "/connect/calendar/",
        _found([CALENDAR, NYC]),
        CALENDARS,
    ),
    Endpoint(
        "calendars.list, data-wrapped",
        lambda c: c.calendars.list(),
        "GET",
        "/connect/calendar/",
        _found({"data": [CALENDAR, NYC]}),
        CALENDARS,
    ),
    Endpoint(
        "calendars.get",
        lambda c: c.calendars.get("cal_berlin"),
        "GET",
        "/connect/calendar/cal_berlin",
        _found(CALENDAR),
        CALENDARS[0],
    ),
    Endpoint(
        "resources.list",
        lambda c: c.resources.list(),
        "GET",
        "/connect/resources/",
        _found([RESOURCE]),
        [ANNA],
    ),
    Endpoint(
        "resources.get",
        lambda c: c.resources.get("res_anna"),
        "GET",
        "/connect/resources/res_anna",
        _found(RESOURCE),
        ANNA,
    ),
    Endpoint(
        "appointment_types.list",
        lambda c: c.appointment_types.list(),
        "GET",
        "/connect/appointment_types/",
        _found([TYPE]),
        [TRIAL],
    ),
    Endpoint(
        "appointment_types.get",
        lambda c: c.appointment_types.get("apt_trial"),
        "GET",
        "/connect/appointment_types/apt_trial",
        _found(TYPE),
        TRIAL,
    ),
    Endpoint(
        "tables.list",
        lambda c: c.tables.list(),
        "GET",
        "/connect/tables/",
        _found([TABLE]),
        [LEADS],
    ),
    Endpoint(
        "tables.get",
        lambda c: c.tables.get("tbl_leads"),
        "GET",
        "/connect/tables/tbl_leads",
        _found(TABLE),
        LEADS,
    ),
    Endpoint(
        "resource_slots.list",
        lambda c: c.resource_slots.list(calendar_id="cal_berlin"),
        "GET",
        "/connect/resource_slots/?calendarId=cal_berlin",
        _found({"data": [WINDOW]}),
        structure_list([WINDOW], rl.ResourceSlot),
    ),
    Endpoint(
        "resource_slot_blockers.list",
        lambda c: c.resource_slot_blockers.list(calendar_id="cal_berlin"),
        "GET",
        "/connect/resource_slot_blockers/?calendarId=cal_berlin",
        _found([BLOCKER]),
        structure_list([BLOCKER], rl.ResourceSlotBlocker),
    ),
    Endpoint(
        "resource_calendar_mappings.list, both filters",
        lambda c: c.resource_calendar_mappings.list(
            calendar_id="cal_berlin", resource_id="res_anna"
        ),
        "GET",
        "/connect/resource_calendar_mappings/?calendarId=cal_berlin&resourceId=res_anna",
        _found([PLACED]),
        [
            rl.ResourceCalendarMapping(
                id=rl.Id("m1"), resource_id=rl.Id("res_anna"), calendar_id=rl.Id("cal_berlin")
            )
        ],
    ),
    Endpoint(
        "resource_calendar_mappings.list, no filter",
        lambda c: c.resource_calendar_mappings.list(),
        "GET",
        "/connect/resource_calendar_mappings/",
        _found([]),
        [],
    ),
    Endpoint(
        "appointment_type_resource_mappings.list, every filter",
        lambda c: c.appointment_type_resource_mappings.list(
            appointment_type_id="apt_trial", resource_id="res_anna", calendar_id="cal_berlin"
        ),
        "GET",
        "/connect/appointment_type_resource_mappings/"
        "?appointmentTypeId=apt_trial&resourceId=res_anna&calendarId=cal_berlin",
        _found([OFFERS]),
        [
            rl.AppointmentTypeResourceMapping(
                id=rl.Id("m2"),
                appointment_type_id=rl.Id("apt_trial"),
                resource_id=rl.Id("res_anna"),
            )
        ],
    ),
    Endpoint(
        "appointment_type_resource_mappings.list, no filter",
        lambda c: c.appointment_type_resource_mappings.list(),
        "GET",
        "/connect/appointment_type_resource_mappings/",
        _found([]),
        [],
    ),
    Endpoint(
        "leads.create",
        lambda c: c.leads.create(lead_request()),
        "POST",
        "/connect/table_entries/",
        _found(lead_json(), 201),
        structure(lead_json(), rl.LeadEntry),
        LEAD_BODY,
    ),
    Endpoint(
        "leads.create, optional fields",
        lambda c: c.leads.create(
            lead_request(
                custom_field_data={"cf_source": "voice-agent"},
                interested_in_appointment_type_id="apt_trial",
            )
        ),
        "POST",
        "/connect/table_entries/",
        _found(lead_json(), 201),
        structure(lead_json(), rl.LeadEntry),
        {
            **LEAD_BODY,
            "customFieldData": {"cf_source": "voice-agent"},
            "interestedInAppointmentTypeId": "apt_trial",
        },
    ),
    Endpoint(
        "leads.update, a merge patch with JSON null",
        lambda c: c.leads.update(
            "entry_77",
            {"leadStateId": "ls_won", "customFieldData": None, "data": {"fld_phone": None}},
        ),
        "PATCH",
        "/connect/table_entries/entry_77",
        _found(lead_json(leadStateId="ls_won")),
        structure(lead_json(leadStateId="ls_won"), rl.LeadEntry),
        {"leadStateId": "ls_won", "customFieldData": None, "data": {"fld_phone": None}},
    ),
]


def test_the_matrix_calls_every_endpoint(client: rl.RocketLeadClient) -> None:
    """A new public call on any of the client's namespaces needs its row here."""
    public = {
        f"{name}.{method}"
        for name, namespace in vars(client).items()
        if isinstance(namespace, Resource)
        for method, _ in inspect.getmembers(type(namespace), inspect.iscoroutinefunction)
        if not method.startswith("_")
    }
    # book() is create() with slot recovery around it: tests/recovery proves it.
    assert {endpoint.name.split(",")[0] for endpoint in ENDPOINTS} == public - {"bookings.book"}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
async def test_each_endpoint_sends_exactly_this_request_and_returns_the_typed_answer(
    server: ScriptedServer, client: rl.RocketLeadClient, endpoint: Endpoint
) -> None:
    server.add(endpoint.method, unquote(endpoint.raw_path.partition("?")[0]), endpoint.answer)

    result = await endpoint.call(client)

    seen = server.only
    assert (seen.method, seen.raw_path) == (endpoint.method, endpoint.raw_path)
    assert seen.headers["Authorization"] == f"Bearer {TOKEN}"
    assert seen.headers["User-Agent"] == UA
    assert seen.headers["Accept"] == "application/json"
    if endpoint.sent is None:
        assert seen.body == b""
        assert "Content-Type" not in seen.headers
    else:
        assert seen.headers["Content-Type"] == "application/json"
        assert seen.json() == endpoint.sent
    assert result == endpoint.returns


# -- ids ----------------------------------------------------------------------------------------

IdCall = Callable[[rl.RocketLeadClient, Any], Awaitable[Any]]
# name -> (call, method, path prefix, the parameter its errors name)
ID_CALLS: dict[str, tuple[IdCall, str, str, str]] = {
    "calendars.get": (lambda c, i: c.calendars.get(i), "GET", "/connect/calendar/", "id"),
    "resources.get": (lambda c, i: c.resources.get(i), "GET", "/connect/resources/", "id"),
    "appointment_types.get": (
        lambda c, i: c.appointment_types.get(i),
        "GET",
        "/connect/appointment_types/",
        "id",
    ),
    "tables.get": (lambda c, i: c.tables.get(i), "GET", "/connect/tables/", "id"),
    "bookings.delete": (
        lambda c, i: c.bookings.delete(i),
        "DELETE",
        "/connect/calendar_bookings/",
        "booking_id",
    ),
    "leads.update": (
        lambda c, i: c.leads.update(i, {"leadStateId": "ls_won"}),
        "PATCH",
        "/connect/table_entries/",
        "entry_id",
    ),
}
BAD_IDS = ["", "   ", "a/b", "../admin", "a?b=1", "a#frag", "..", "x..y", "a\\b", "\n", "abc\n"]
AWKWARD = "a b+c@ü%:"


@pytest.mark.parametrize("name", list(ID_CALLS))
@pytest.mark.parametrize("bad", BAD_IDS)
async def test_unsafe_ids_are_refused_before_any_request(
    server: ScriptedServer, client: rl.RocketLeadClient, name: str, bad: str
) -> None:
    call, _, _, parameter = ID_CALLS[name]
    with pytest.raises(ValueError, match=rf"^{parameter}\b"):
        await call(client, bad)
    assert server.requests == []


@pytest.mark.parametrize("name", list(ID_CALLS))
async def test_non_string_ids_are_a_type_error(
    server: ScriptedServer, client: rl.RocketLeadClient, name: str
) -> None:
    call, _, _, parameter = ID_CALLS[name]
    with pytest.raises(TypeError, match=rf"^{parameter} must be a str, not int"):
        await call(client, 123)
    assert server.requests == []


@pytest.mark.parametrize("name", list(ID_CALLS))
async def test_ids_are_url_quoted(
    server: ScriptedServer, client: rl.RocketLeadClient, name: str
) -> None:
    call, method, prefix, _ = ID_CALLS[name]
    answers = {"PATCH": Answer(payload=lead_json()), "DELETE": Answer(status=204)}
    server.add(method, prefix + AWKWARD, answers.get(method, Answer(payload={"id": AWKWARD})))

    await call(client, AWKWARD)

    assert server.only.raw_path == prefix + "a%20b%2Bc%40%C3%BC%25%3A"
