"""Status codes and unreadable bodies become typed errors, never raw decoder exceptions."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import cattrs
import pytest
from aiohttp import web
from aioresponses import aioresponses

import rocketlead_async as rl

from ._support import Loopback, booking_request, calls, envelope, lead_request, url

CAL = "/connect/calendar/cal_berlin"


def assert_typed(error: BaseException) -> None:
    """Nothing of the decoding machinery leaks out, not even as the shown cause."""
    leaks = (json.JSONDecodeError, KeyError, cattrs.BaseValidationError, TypeError)
    assert isinstance(error, rl.RocketLeadError)
    for link in (error, error.__cause__):
        assert not isinstance(link, leaks), repr(link)
    if isinstance(error.__context__, leaks):
        assert error.__suppress_context__  # raised "from None": not in the traceback


@pytest.mark.parametrize(
    ("status", "message", "cls"),
    [
        (400, "Validation failed: tableId is required", rl.BadRequestError),
        (400, "The selected time slot is no longer available", rl.SlotUnavailableError),
        (400, "THE SELECTED TIME SLOT IS NO LONGER AVAILABLE", rl.SlotUnavailableError),
        (400, "Slot no Longer Available (resource full)", rl.SlotUnavailableError),
        (401, "Unauthorized", rl.AuthenticationError),
        (403, "Forbidden resource", rl.PermissionDeniedError),
        (404, "Calendar not found", rl.NotFoundError),
        (409, "Conflict", rl.ConflictError),
        (429, "Too Many Requests", rl.RateLimitError),
        (500, "Internal server error", rl.InternalServerError),
        (502, "Bad Gateway", rl.InternalServerError),
        (503, "Service Unavailable", rl.InternalServerError),
        (504, "Gateway Timeout", rl.InternalServerError),
        (501, "Not Implemented", rl.InternalServerError),
        (422, "Unprocessable Entity", rl.APIStatusError),
        (418, "I'm a teapot", rl.APIStatusError),
        (302, "Found", rl.APIStatusError),
    ],
)
async def test_status_maps_to_its_error_class(
    mocked: aioresponses,
    make_client: Callable[..., rl.RocketLeadClient],
    status: int,
    message: str,
    cls: type[rl.APIStatusError],
) -> None:
    client = make_client(retry=rl.NO_RETRY)
    mocked.get(url(CAL), status=status, payload=envelope(status, message))

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


async def test_slot_unavailable_on_booking_post_is_a_bad_request(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    message = "The selected time slot is no longer available"
    mocked.post(url("/connect/calendar_bookings/"), status=400, payload=envelope(400, message))

    with pytest.raises(rl.SlotUnavailableError) as info:
        await client.bookings.create(booking_request())

    assert isinstance(info.value, rl.BadRequestError)
    assert (info.value.method, info.value.path) == ("POST", "/connect/calendar_bookings/")
    assert len(calls(mocked)) == 1


@pytest.mark.parametrize(
    ("messages", "cls"),
    [
        (["tableId must be a string", "leadStateId should not be empty"], rl.BadRequestError),
        (["startDateTime must be a date", "slot no longer available"], rl.SlotUnavailableError),
    ],
)
async def test_nestjs_list_message_is_joined(
    mocked: aioresponses, client: rl.RocketLeadClient, messages: list[str], cls: type[Any]
) -> None:
    body = {"statusCode": 400, "message": messages, "error": "Bad Request"}
    mocked.post(url("/connect/table_entries/"), status=400, payload=body)

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
    mocked: aioresponses,
    make_client: Callable[..., rl.RocketLeadClient],
    status: int,
    body: str,
    cls: type[rl.APIStatusError],
    needle: str,
) -> None:
    client = make_client(retry=rl.NO_RETRY)
    mocked.get(url(CAL), status=status, body=body, content_type="text/html")

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
    mocked: aioresponses, client: rl.RocketLeadClient, body: str, needle: str
) -> None:
    mocked.get(url(CAL), status=200, body=body)

    with pytest.raises(rl.UnexpectedResponseError) as info:
        await client.calendars.get("cal_berlin")

    error = info.value
    assert error.status == 200
    assert needle in error.message
    assert len(error.message) < 400
    assert (error.method, error.path) == ("GET", CAL)
    assert_typed(error)
    assert len(calls(mocked)) == 1  # a 2xx is never retried


@pytest.mark.parametrize(
    "body",
    ['{"id": "bk_9001", "org', PROXY_PAGE, "", '{"id": 5}'],
    ids=["truncated", "html", "empty", "wrong-shape"],
)
@pytest.mark.parametrize("kind", ["booking", "lead"])
async def test_unreadable_2xx_on_post_is_an_unknown_outcome(
    mocked: aioresponses, make_client: Callable[..., rl.RocketLeadClient], kind: str, body: str
) -> None:
    """A 2xx whose body cannot be read created something we cannot name."""
    hooked: list[rl.OutcomeUnknownError] = []
    client = make_client(on_outcome_unknown=hooked.append)
    request: Any
    cls: type[rl.OutcomeUnknownError]
    call: Awaitable[object]
    if kind == "booking":
        mocked.post(url("/connect/calendar_bookings/"), status=201, body=body)
        request, cls = booking_request(), rl.BookingOutcomeUnknown
        call = client.bookings.create(request)
    else:
        mocked.post(url("/connect/table_entries/"), status=201, body=body)
        request, cls = lead_request(), rl.OutcomeUnknownError
        call = client.leads.create(request)

    with pytest.raises(rl.OutcomeUnknownError) as info:
        await call

    assert type(info.value) is cls
    assert info.value.request is request
    assert info.value.status == 201
    assert isinstance(info.value.__cause__, rl.UnexpectedResponseError)
    assert hooked == [info.value]
    assert len(calls(mocked)) == 1
    assert_typed(info.value)


async def test_delete_answered_204_or_empty_200_is_none(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    mocked.delete(url("/connect/calendar_bookings/a"), status=204)
    mocked.delete(url("/connect/calendar_bookings/b"), status=200, body="")
    # What delete() returns at run time is the point here, whatever its annotation says.
    assert await client.bookings.delete("a") is None  # type: ignore[func-returns-value]
    assert await client.bookings.delete("b") is None  # type: ignore[func-returns-value]


# -- max_response_bytes -----------------------------------------------------------------------


@pytest.mark.parametrize("chunked", [True, False], ids=["no-content-length", "content-length"])
async def test_body_larger_than_max_response_bytes_is_refused(
    loopback: Callable[..., Awaitable[Loopback]],
    make_client: Callable[..., rl.RocketLeadClient],
    chunked: bool,
) -> None:
    big = json.dumps([{"id": f"cal_{i}", "name": "x" * 50} for i in range(200)]).encode()

    async def handler(request: web.Request) -> web.StreamResponse:
        if not chunked:
            return web.Response(body=big, content_type="application/json")
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        response.content_type = "application/json"
        await response.prepare(request)
        for start in range(0, len(big), 1000):
            await response.write(big[start : start + 1000])
        await response.write_eof()
        return response

    server = await loopback(handler)
    client = make_client(base_url=server.url, max_response_bytes=4096)
    roomy = make_client(base_url=server.url, max_response_bytes=len(big))

    with pytest.raises(rl.UnexpectedResponseError, match="max_response_bytes") as info:
        await client.calendars.list()

    assert info.value.status == 200
    assert len(server.seen) == 1
    assert len(await roomy.calendars.list()) == 200  # exactly at the limit is fine
