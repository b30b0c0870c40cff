"""Status codes and unreadable bodies become typed errors, never raw decoder exceptions; a
status that says nothing was done is answered once."""

from __future__ import annotations

import json
from typing import Any

import cattrs
import pytest

import rocketlead_async as rl
from tests.helpers.bodies import booking_request, envelope, lead_request
from tests.helpers.clients import MakeClient
from tests.helpers.recorders import Unknowns
from tests.helpers.scripted import ScriptedServer

CAL = "/connect/calendar/cal_berlin"
BOOKINGS = "/connect/calendar_bookings/"
LEADS = "/connect/table_entries/"
SLOT_TAKEN = "The selected time slot is no longer available"


def assert_typed(error: BaseException) -> None:
    """Nothing of the decoding machinery leaks out, not even as the shown cause."""
    leaks = (json.JSONDecodeError, KeyError, cattrs.BaseValidationError, TypeError)
    assert isinstance(error, rl.RocketLeadError)
    for link in (error, error.__cause__):
        assert not isinstance(link, leaks), repr(link)
    if isinstance(error.__context__, leaks):
        assert error.__suppress_context__  # raised "from None": not in the traceback


RETRIED, ONCE = 3, 1  # requests a GET makes under the default policy (3 attempts)


@pytest.mark.parametrize(
    ("status", "message", "cls", "sent"),
    [
        (400, "Validation failed: tableId is required", rl.BadRequestError, ONCE),
        (400, SLOT_TAKEN, rl.SlotUnavailableError, ONCE),
        (400, "THE SELECTED TIME SLOT IS NO LONGER AVAILABLE", rl.SlotUnavailableError, ONCE),
        (400, "Slot no Longer Available (resource full)", rl.SlotUnavailableError, ONCE),
        (401, "Unauthorized", rl.AuthenticationError, ONCE),
        (403, "Forbidden resource", rl.PermissionDeniedError, ONCE),
        (404, "Calendar not found", rl.NotFoundError, ONCE),
        (409, "Conflict", rl.ConflictError, ONCE),
        (429, "Too Many Requests", rl.RateLimitError, RETRIED),
        (500, "Internal server error", rl.InternalServerError, RETRIED),
        (502, "Bad Gateway", rl.InternalServerError, RETRIED),
        (503, "Service Unavailable", rl.InternalServerError, RETRIED),
        (504, "Gateway Timeout", rl.InternalServerError, RETRIED),
        (501, "Not Implemented", rl.InternalServerError, ONCE),
        (422, "Unprocessable Entity", rl.APIStatusError, ONCE),
        (418, "I'm a teapot", rl.APIStatusError, ONCE),
        (302, "Found", rl.APIStatusError, ONCE),
    ],
)
async def test_status_maps_to_its_error_class(
    server: ScriptedServer,
    client: rl.RocketLeadClient,
    status: int,
    message: str,
    cls: type[rl.APIStatusError],
    sent: int,
) -> None:
    """A clear refusal (401, 403, any 4xx but 429) is answered once; the last error of a
    retried one is what the caller gets."""
    server.get(CAL, status=status, payload=envelope(status, message), repeat=True)

    with pytest.raises(rl.APIStatusError) as info:
        await client.calendars.get("cal_berlin")

    error = info.value
    assert type(error) is cls
    assert error.status == status
    assert error.message == message
    assert error.body == envelope(status, message)
    assert error.method == "GET"
    assert error.path == CAL
    assert str(error) == f"GET {CAL} -> {status}: {message}"
    assert len(server.requests) == sent


async def test_slot_unavailable_on_booking_post_is_a_bad_request(
    server: ScriptedServer, client: rl.RocketLeadClient, unknowns: Unknowns
) -> None:
    server.post(BOOKINGS, status=400, payload=envelope(400, SLOT_TAKEN))

    with pytest.raises(rl.SlotUnavailableError) as info:
        await client.bookings.create(booking_request())

    assert isinstance(info.value, rl.BadRequestError)
    assert (info.value.method, info.value.path) == ("POST", BOOKINGS)
    assert len(server.requests) == 1
    assert unknowns == []  # a clear answer: nothing was booked


@pytest.mark.parametrize(
    ("messages", "cls"),
    [
        (["tableId must be a string", "leadStateId should not be empty"], rl.BadRequestError),
        (["startDateTime must be a date", "slot no longer available"], rl.SlotUnavailableError),
    ],
)
async def test_nestjs_list_message_is_joined(
    server: ScriptedServer, client: rl.RocketLeadClient, messages: list[str], cls: type[Any]
) -> None:
    body = {"statusCode": 400, "message": messages, "error": "Bad Request"}
    server.post(LEADS, status=400, payload=body)

    with pytest.raises(rl.BadRequestError) as info:
        await client.leads.create(rl.LeadRequest(table_id="tbl", data={}, lead_state_id="ls_new"))

    assert type(info.value) is cls
    assert info.value.message == "; ".join(messages)
    assert info.value.body == body


PROXY_PAGE = (
    "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body>"
    "<center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center>"
    + "<!-- padding -->" * 100
    + "</body></html>"
)
HTML = {"Content-Type": "text/html"}


@pytest.mark.parametrize(
    ("status", "body", "cls", "needle"),
    [
        (502, PROXY_PAGE, rl.InternalServerError, "502 Bad Gateway"),
        (503, "", rl.InternalServerError, "empty error body"),
        (400, '{"statusCode": 400, "message": "Validation fai', rl.BadRequestError, "Validation"),
        (401, "Unauthorized", rl.AuthenticationError, "Unauthorized"),
        (404, '{"statusCode": 404}', rl.NotFoundError, "statusCode"),
        (429, "slow down", rl.RateLimitError, "slow down"),
    ],
)
async def test_unreadable_error_bodies_keep_status_and_an_excerpt(
    server: ScriptedServer,
    make_client: MakeClient,
    status: int,
    body: str,
    cls: type[rl.APIStatusError],
    needle: str,
) -> None:
    client = make_client(base_url=server.url, retry=rl.NO_RETRY)
    server.get(CAL, status=status, body=body, headers=HTML)

    with pytest.raises(rl.APIStatusError) as info:
        await client.calendars.get("cal_berlin")

    error = info.value
    assert type(error) is cls
    assert error.status == status
    assert needle in error.message
    assert len(error.message) < 260  # a short excerpt, never the whole page
    assert_typed(error)


@pytest.mark.parametrize(
    ("body", "needle"),
    [
        (PROXY_PAGE, "502 Bad Gateway"),
        ("", "empty body"),
        ('[{"id": "cal_berlin", "name": "Ber', "not JSON"),
        ("null", "Calendar"),
        ('{"error": "maintenance"}', "required field missing"),
        ("[]", "Calendar"),
    ],
)
async def test_unreadable_2xx_bodies_on_get_are_unexpected_response(
    server: ScriptedServer, client: rl.RocketLeadClient, body: str, needle: str
) -> None:
    server.get(CAL, status=200, body=body)

    with pytest.raises(rl.UnexpectedResponseError) as info:
        await client.calendars.get("cal_berlin")

    error = info.value
    assert error.status == 200
    assert needle in error.message
    assert len(error.message) < 400
    assert (error.method, error.path) == ("GET", CAL)
    assert_typed(error)
    assert len(server.requests) == 1  # a 2xx is never retried


@pytest.mark.parametrize(
    "body",
    ['{"id": "bk_9001", "org', PROXY_PAGE, "", '{"id": 5}'],
    ids=["truncated", "html", "empty", "wrong-shape"],
)
@pytest.mark.parametrize("kind", ["booking", "lead"])
async def test_unreadable_2xx_on_post_is_an_unknown_outcome(
    server: ScriptedServer,
    client: rl.RocketLeadClient,
    unknowns: Unknowns,
    kind: str,
    body: str,
) -> None:
    """A 2xx whose body cannot be read created something we cannot name."""
    request: rl.BookingRequest | rl.LeadRequest
    if kind == "booking":
        server.post(BOOKINGS, status=201, body=body)
        request = booking_request()
        with pytest.raises(rl.OutcomeUnknownError) as info:
            await client.bookings.create(request)
        assert type(info.value) is rl.BookingOutcomeUnknown
    else:
        server.post(LEADS, status=201, body=body)
        request = lead_request()
        with pytest.raises(rl.OutcomeUnknownError) as info:
            await client.leads.create(request)
        assert type(info.value) is rl.OutcomeUnknownError

    assert info.value.request is request
    assert info.value.status == 201
    assert isinstance(info.value.__cause__, rl.UnexpectedResponseError)
    assert unknowns == [info.value]
    assert len(server.requests) == 1
    assert_typed(info.value)


async def test_delete_answered_204_or_empty_200_is_none(
    server: ScriptedServer, client: rl.RocketLeadClient
) -> None:
    server.delete(BOOKINGS + "a", status=204)
    server.delete(BOOKINGS + "b", status=200, body="")
    # What delete() returns at run time is the point here, whatever its annotation says.
    assert await client.bookings.delete("a") is None  # type: ignore[func-returns-value]
    assert await client.bookings.delete("b") is None  # type: ignore[func-returns-value]
