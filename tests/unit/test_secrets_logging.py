"""The token never shows anywhere; logs say what happened without bodies."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from aioresponses import aioresponses

import rocketlead_async as rl

from ._support import (
    PHONE,
    SECRET,
    TOKEN,
    FakeClock,
    Loopback,
    booking_json,
    booking_request,
    envelope,
    lead_json,
    lead_request,
    refused,
    reply,
    sequence,
    url,
)

MakeClient = Callable[..., rl.RocketLeadClient]
LOGGER = "rocketlead_async"


def assert_no_secret(text: str) -> None:
    assert SECRET not in text
    assert TOKEN not in text
    assert SECRET[:16] not in text


def render_chain(error: BaseException) -> str:
    """The exception chain as a traceback renders it with every frame's locals."""
    rendered = traceback.TracebackException(
        type(error), error, error.__traceback__, capture_locals=True
    )
    return "".join(rendered.format())


def everything_about(error: BaseException) -> str:
    parts = []
    seen: set[int] = set()
    link: BaseException | None = error
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        parts += [str(link), repr(link), repr(vars(link))]
        link = link.__cause__ or link.__context__
    return "\n".join(parts)


async def caught(call: Awaitable[Any]) -> BaseException:
    """What a failed call raised; its traceback starts here, not in a test's frame (whose
    locals hold the test's own copies of the token)."""
    try:
        await call
    except rl.RocketLeadError as error:
        return error
    raise AssertionError("the call succeeded")


async def failures(mocked: aioresponses, client: rl.RocketLeadClient) -> list[BaseException]:
    """One error of every kind the SDK raises from a call."""
    mocked.get(url("/connect/calendar/a"), status=401, payload=envelope(401, "Unauthorized"))
    mocked.get(url("/connect/calendar/b"), exception=refused(), repeat=True)
    mocked.get(url("/connect/calendar/c"), status=200, body="<html>proxy</html>")
    mocked.get(url("/connect/calendar/d"), status=429, body="", headers={"Retry-After": "99"})
    mocked.post(url("/connect/calendar_bookings/"), status=504, body="")
    # A lead POST dropped after it was sent needs a real socket (aioresponses never sends a
    # body): see the test on a real socket below. Here a 502 proxy page leaves it unknown.
    mocked.post(url("/connect/table_entries/"), status=502, body="<html>Bad Gateway</html>")
    mocked.get(
        url("/connect/calendar/e"),
        exception=aiohttp.ClientOSError(104, "Connection reset by peer"),
        repeat=True,
    )
    calls: list[Awaitable[Any]] = [
        client.calendars.get("a"),
        client.calendars.get("b"),
        client.calendars.get("c"),
        client.calendars.get("d"),
        client.bookings.create(booking_request()),
        client.leads.create(lead_request()),
        client.calendars.get("e", timeout=0.001),
    ]
    return [await caught(call) for call in calls]


async def test_token_is_not_in_reprs(make_client: MakeClient) -> None:
    client = make_client()
    for text in (
        repr(client),
        str(client),
        repr(client.with_options(timeout=1)),
        repr(client.bookings),
        repr(client._transport),
        repr(client._transport._headers),
        repr(vars(client)),
        repr(vars(client._transport)),
    ):
        assert_no_secret(text)


async def test_token_is_not_in_any_exception(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    errors = await failures(mocked, client)

    assert {type(e).__name__ for e in errors} == {
        "AuthenticationError",
        "APIConnectionError",
        "UnexpectedResponseError",
        "RateLimitError",
        "BookingOutcomeUnknown",
        "OutcomeUnknownError",
    }
    for error in errors:
        assert_no_secret(everything_about(error))
        assert_no_secret(render_chain(error))


async def test_token_is_not_in_tracebacks_with_locals_on_a_real_socket(
    loopback: Callable[..., Awaitable[Loopback]], make_client: MakeClient, closed_port: int
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        if request.method == "POST":
            assert request.transport is not None
            request.transport.close()
            return web.Response()
        if request.path.endswith("/slow"):
            return web.Response(status=503, text="busy")
        return web.json_response(envelope(401, "Unauthorized"), status=401)

    server = await loopback(handler)
    client = make_client(base_url=server.url)
    dead = make_client(base_url=f"http://127.0.0.1:{closed_port}")
    errors = [
        await caught(call)
        for call in (
            client.calendars.get("x"),
            client.calendars.get("slow"),
            client.bookings.create(booking_request()),
            client.leads.create(lead_request()),
            dead.calendars.list(),
            dead.bookings.create(booking_request()),
        )
    ]
    rendered = [render_chain(error) for error in errors]

    # The POSTs were sent, then dropped: unknown outcomes whose cause is the dropped connection.
    assert [type(error).__name__ for error in errors[2:4]] == [
        "BookingOutcomeUnknown",
        "OutcomeUnknownError",
    ]
    assert all(isinstance(error.__cause__, rl.APIConnectionError) for error in errors[2:4])
    assert all("Traceback" in text for text in rendered)
    assert any("headers = " in text for text in rendered)  # aiohttp's locals were rendered
    for text in rendered:
        assert_no_secret(text)


async def test_token_is_not_in_debug_logs(
    mocked: aioresponses, client: rl.RocketLeadClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    mocked.get(url("/connect/calendar/"), payload=[{"id": "cal_berlin"}])
    await client.calendars.list()
    await failures(mocked, client)

    assert caplog.records, "the SDK logged nothing at DEBUG"
    assert_no_secret(caplog.text)
    for record in caplog.records:
        assert_no_secret(record.getMessage())
        assert_no_secret(repr(record.args))


# -- logging ----------------------------------------------------------------------------------


def sdk_records(caplog: pytest.LogCaptureFixture, level: int) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == LOGGER and record.levelno == level
    ]


async def test_debug_line_per_request_and_info_per_retry(
    mocked: aioresponses, client: rl.RocketLeadClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    mocked.get(
        url("/connect/calendar/"),
        callback=sequence(reply(503, body=""), refused(), reply(200, [])),
        repeat=True,
    )

    await client.calendars.list()

    debug = sdk_records(caplog, logging.DEBUG)
    assert len(debug) == 3
    assert debug[0].startswith("GET /connect/calendar/ -> 503 attempt=1 elapsed=")
    assert debug[1].startswith("GET /connect/calendar/ -> ClientConnectorError attempt=2 elapsed=")
    assert debug[2].startswith("GET /connect/calendar/ -> 200 attempt=3 elapsed=")
    assert all(line.endswith("ms") for line in debug)
    info = sdk_records(caplog, logging.INFO)
    assert len(info) == 2
    assert info[0].startswith("retrying GET /connect/calendar/ after status 503 (attempt 1 of 3)")
    assert info[1].startswith(
        "retrying GET /connect/calendar/ after APIConnectionError (attempt 2 of 3)"
    )


async def test_nothing_above_debug_for_a_successful_call(
    mocked: aioresponses, client: rl.RocketLeadClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    mocked.get(url("/connect/calendar/"), payload=[])
    await client.calendars.list()
    assert [r.levelno for r in caplog.records if r.name == LOGGER] == [logging.DEBUG]


async def test_unknown_outcome_is_a_warning(
    mocked: aioresponses, client: rl.RocketLeadClient, caplog: pytest.LogCaptureFixture
) -> None:
    mocked.post(url("/connect/calendar_bookings/"), status=502, body="")
    with pytest.raises(rl.BookingOutcomeUnknown):
        await client.bookings.create(booking_request())
    (warning,) = sdk_records(caplog, logging.WARNING)
    assert warning.startswith("POST /connect/calendar_bookings/: outcome unknown (status 502")


async def test_no_request_or_response_body_content_in_logs(
    mocked: aioresponses,
    make_client: MakeClient,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A lead's phone number travels in request and response bodies, error messages and
    unreadable answers; none of it may reach the log."""
    caplog.set_level(logging.DEBUG)
    hooked: list[rl.OutcomeUnknownError] = []
    client = make_client(on_outcome_unknown=hooked.append)
    leads = url("/connect/table_entries/")
    bookings = url("/connect/calendar_bookings/")
    # Created fine (the answer echoes the phone).
    mocked.post(leads, status=201, payload=lead_json())
    # Refused with the phone in the validation message.
    mocked.post(leads, status=400, payload=envelope(400, f"phone {PHONE} is not valid"))
    # A proxy page quoting the request.
    mocked.post(leads, status=502, body=f"<html>upstream failed for {PHONE}</html>")
    # A truncated 201: the booking may exist; the fragment holds the lead's data.
    truncated = str(booking_json()).replace("'", '"')[:600]
    assert PHONE in truncated
    mocked.post(bookings, status=201, body=truncated)
    # Retried PATCH whose 503 body and final answer carry the phone.
    patch_url = url("/connect/table_entries/entry_77")
    mocked.patch(patch_url, status=503, payload=envelope(503, f"busy with {PHONE}"))
    mocked.patch(patch_url, payload=lead_json())

    await client.leads.create(lead_request())
    with pytest.raises(rl.BadRequestError) as bad:
        await client.leads.create(lead_request())
    with pytest.raises(rl.OutcomeUnknownError) as proxy:
        await client.leads.create(lead_request())
    with pytest.raises(rl.BookingOutcomeUnknown) as cut:
        await client.bookings.create(booking_request(name=f"Erika {PHONE}"))
    await client.leads.update("entry_77", {"data": {"fld_phone": {"value": PHONE}}})

    # The errors keep what users debug with ...
    assert PHONE in bad.value.message
    assert PHONE in str(proxy.value)
    assert PHONE in str(cut.value)
    assert len(hooked) == 2
    # ... the log does not.
    assert caplog.records
    assert PHONE not in caplog.text
    assert "Erika" not in caplog.text
    for record in caplog.records:
        assert PHONE not in record.getMessage()
