"""The token never shows: not in any repr or str a user holds, not in any error the SDK raises
(str, repr, attributes, the whole cause/context chain, the traceback rendered with every
frame's locals), not in a log record at DEBUG (the SDK's, aiohttp's, asyncio's). Every check
greps for the token and for pieces of its secret part (``tests.helpers.secrets``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

import rocketlead_async as rl
from tests.helpers.bodies import availability_json, booking_request, envelope, lead_request
from tests.helpers.clients import TOKEN, MakeClient
from tests.helpers.clock import FakeClock
from tests.helpers.fixtures.core import StartServer
from tests.helpers.handlers import drop_after_send
from tests.helpers.intercept import refused, timing_out
from tests.helpers.recorders import Unknowns
from tests.helpers.scripted import ScriptedServer
from tests.helpers.secrets import assert_no_secret, log_text, render_error

if TYPE_CHECKING:
    from aioresponses import aioresponses

BOOKINGS = "/connect/calendar_bookings/"
CAL = "/connect/calendar/"
SLOT_TAKEN = envelope(400, "The selected time slot is no longer available")


async def _error_of(call: Callable[[], Awaitable[Any]]) -> BaseException:
    """The exception ``call()`` raises. Only ``call`` (a closure over the client) is local
    here, so this frame of the traceback holds no token of its own."""
    try:
        await call()
    except BaseException as exc:
        return exc
    raise AssertionError("no error")


async def test_repr_and_str_of_everything_a_user_holds(
    server: ScriptedServer, client: rl.RocketLeadClient
) -> None:
    server.get(CAL, payload=[])
    await client.calendars.list()  # the session exists now
    derived = client.with_options(timeout=3)
    # The transport is private, but it holds the token's header: a debugger, a crash dump or
    # a traceback with locals shows it as these reprs.
    transport = client._transport
    shown = [
        repr(client),
        str(client),
        repr(derived),
        repr(vars(client)),
        repr(vars(derived)),
        repr(transport),
        repr(vars(transport)),
        repr(transport._headers),
        repr(transport._json_headers),
        repr(client.bookings),
        repr(client.retry),
        repr(transport.session()),
        repr(transport.session().headers),
    ]
    assert_no_secret(TOKEN, shown, "a repr")


async def test_every_kind_of_error_rendered_with_locals(
    server: ScriptedServer,
    loopback: StartServer,
    make_client: MakeClient,
    clock: FakeClock,
    intercept: aioresponses,
    unknowns: Unknowns,
    closed_port: int,
    debug_logs: pytest.LogCaptureFixture,
) -> None:
    """Status errors, unreadable answers, unknown outcomes (answered and dropped), refused and
    reset connections, timeouts, recovery giving up: none shows the token anywhere, nor do the
    log records the calls left."""
    server.get(CAL + "revoked", status=401, payload=envelope(401, "Unauthorized"))
    server.post(BOOKINGS, status=403, payload=envelope(403, "lacks the 'write' scope"))
    server.delete(BOOKINGS + "gone", status=404, payload=envelope(404, "Not found"))
    server.post(BOOKINGS, status=400, payload=SLOT_TAKEN)
    server.get(CAL + "busy", status=429, body="", headers={"Retry-After": "99"})
    server.get(CAL + "proxy", status=200, body="<html>proxy</html>")
    server.post(BOOKINGS, status=504, body="")
    server.post("/connect/table_entries/", status=502, body="<html>Bad Gateway</html>")
    intercept.get(server.url + CAL + "reset", exception=aiohttp.ClientOSError(104, "reset"))
    intercept.get(server.url + CAL + "refused", exception=refused(), repeat=True)
    intercept.get(server.url + CAL + "slow", **timing_out(clock), repeat=True)
    # book(): the slot is taken on every attempt, alternatives keep coming.
    server.post(BOOKINGS, status=400, payload=SLOT_TAKEN, repeat=True)
    server.get("/connect/availability/", payload=availability_json(), repeat=True)
    client = make_client(base_url=server.url, retry=rl.NO_RETRY)
    dropping = make_client(base_url=(await loopback(drop_after_send)).url)
    dead = make_client(base_url=f"http://127.0.0.1:{closed_port}")

    calls: list[Callable[[], Awaitable[Any]]] = [
        lambda: client.calendars.get("revoked"),
        lambda: client.bookings.create(booking_request()),
        lambda: client.bookings.delete("gone"),
        lambda: client.bookings.create(booking_request()),
        lambda: client.calendars.get("busy"),
        lambda: client.calendars.get("proxy"),
        lambda: client.bookings.create(booking_request()),
        lambda: client.leads.create(lead_request()),
        lambda: client.calendars.get("reset"),
        lambda: client.calendars.get("refused"),
        lambda: client.calendars.get("slow", timeout=0.5),
        lambda: client.bookings.book(booking_request()),
        lambda: dropping.bookings.create(booking_request()),
        lambda: dropping.leads.create(lead_request()),
        lambda: dead.calendars.list(),
        lambda: dead.bookings.create(booking_request()),
    ]
    errors = [await _error_of(call) for call in calls]

    assert [type(error) for error in errors] == [
        rl.AuthenticationError,
        rl.PermissionDeniedError,
        rl.NotFoundError,
        rl.SlotUnavailableError,
        rl.RateLimitError,
        rl.UnexpectedResponseError,
        rl.BookingOutcomeUnknown,
        rl.OutcomeUnknownError,
        rl.APIConnectionError,
        rl.APIConnectionError,
        rl.DeadlineExceeded,
        rl.SlotRecoveryExhausted,
        rl.BookingOutcomeUnknown,
        rl.OutcomeUnknownError,
        rl.APIConnectionError,
        rl.APIConnectionError,
    ]
    # Sent, then dropped: unknown outcomes whose cause is the dropped connection.
    assert all(isinstance(error.__cause__, rl.APIConnectionError) for error in errors[12:14])
    assert unknowns == [errors[6], errors[7], errors[12], errors[13]]
    rendered = [render_error(error) for error in errors]
    assert all("Traceback" in text for text in rendered)
    assert any("headers = " in text for text in rendered)  # aiohttp's locals were rendered
    assert_no_secret(TOKEN, rendered, "an error")
    assert_no_secret(TOKEN, [repr(error.request) for error in unknowns], "an unknown outcome")
    assert any(r.name == "rocketlead_async" for r in debug_logs.records), "nothing logged"
    assert_no_secret(TOKEN, [log_text(debug_logs.records)], "the logs")
