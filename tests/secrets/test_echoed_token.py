"""The token appears in nothing the SDK repeats, even where the network or the server puts it
back: a transport error's frames, an error envelope or header echoing it, a proxy page
quoting the request."""

from __future__ import annotations

import traceback

import aiohttp
import pytest
from aioresponses import aioresponses

import rocketlead_async as rl
from tests.helpers.clients import SECRET, TOKEN
from tests.helpers.retries import BOOKINGS, CALENDARS, REQUEST
from tests.helpers.scripted import ScriptedServer


def _reset_while_writing() -> aiohttp.ClientOSError:
    """A reset as aiohttp raises it from a socket write: a frame up its traceback holds the
    request bytes, token included (asyncio's ``selector_events.write`` has them as ``data``)."""
    data = b"GET /connect/calendar/ HTTP/1.1\r\nAuthorization: Bearer " + TOKEN.encode()
    try:
        raise aiohttp.ClientOSError(104, "Connection reset by peer")
    except aiohttp.ClientOSError as exc:
        assert data  # kept alive in the frame's locals
        return exc


async def test_a_transport_error_chains_no_raw_exception_and_no_frames_with_the_token(
    server: ScriptedServer, intercept: aioresponses, client: rl.RocketLeadClient
) -> None:
    intercept.get(server.url + CALENDARS, exception=_reset_while_writing())

    with pytest.raises(rl.APIConnectionError) as caught:
        await client.calendars.list(retry=rl.NO_RETRY)

    error = caught.value
    assert error.__cause__ is None
    assert error.__context__ is None
    assert error.transport_error == "ClientOSError: [Errno 104] Connection reset by peer"
    shown = "".join(
        traceback.TracebackException.from_exception(error, capture_locals=True).format()
    )
    assert SECRET not in shown


async def test_a_token_the_server_echoes_is_scrubbed_from_the_error(
    server: ScriptedServer, client: rl.RocketLeadClient
) -> None:
    server.get(
        CALENDARS,
        status=401,
        payload={"statusCode": 401, "message": f"token {TOKEN} is revoked"},
        headers={"X-Debug-Authorization": f"Bearer {TOKEN}", "X-Request-Id": "req-42"},
    )

    with pytest.raises(rl.AuthenticationError) as caught:
        await client.calendars.list()

    error = caught.value
    assert error.message == "token *** is revoked"
    assert error.request_id == "req-42"
    assert error.headers["x-debug-authorization"] == "Bearer ***"
    everything = [str(error), repr(error), repr(error.body), repr(dict(error.headers))]
    assert not any(SECRET in text for text in everything)


async def test_a_proxy_page_echoing_the_token_is_scrubbed_from_excerpts(
    server: ScriptedServer, client: rl.RocketLeadClient
) -> None:
    page = f"<html><body>debug: Authorization: Bearer {TOKEN}</body></html>"
    server.get(CALENDARS, status=502, body=page, repeat=True)
    server.post(BOOKINGS, status=201, body=page)

    with pytest.raises(rl.InternalServerError) as status_error:
        await client.calendars.list(retry=rl.NO_RETRY)
    with pytest.raises(rl.BookingOutcomeUnknown) as unknown:
        await client.bookings.create(REQUEST)

    texts = [str(status_error.value), repr(status_error.value.body), str(unknown.value)]
    texts += [str(unknown.value.__cause__), repr(getattr(unknown.value.__cause__, "body", ""))]
    assert not any(SECRET in text for text in texts)
    assert "Bearer ***" in status_error.value.message
