"""Bad input from the user: each is a clear, typed error (``ValueError``/``TypeError``) that
names what was wrong, raised before any request is sent, and never showing the token, not even
in a traceback rendered with every frame's locals.

Calls run against a scripted loopback server with nothing scripted: a request reaching it
fails the test. Building a client does no I/O, so those refusals need no server.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import timedelta, timezone
from typing import Any

import attrs
import pytest

import rocketlead_async as rl
from tests.helpers.bodies import START, booking_request, lead_request
from tests.helpers.clients import SECRET, TOKEN
from tests.helpers.scripted import ScriptedServer
from tests.helpers.secrets import assert_no_secret, render_error

NAIVE = START.replace(tzinfo=None)
PATCH = {"leadStateId": "x"}


@attrs.frozen
class Bad:
    name: str
    action: Callable[[rl.RocketLeadClient], Any]
    error: type[Exception]
    mentions: str


def _availability(c: rl.RocketLeadClient, **over: Any) -> Any:
    args: dict[str, Any] = {
        "calendar_id": "cal_berlin",
        "appointment_type_id": "apt_trial",
        "start": START,
        "end": START + timedelta(hours=2),
    }
    args.update(over)
    return c.availability.get(**args)


# Wrong types are passed on purpose (the runtime checks are the subject): each such line tells
# mypy so.
CALLS: tuple[Bad, ...] = (
    # -- naive datetimes -------------------------------------------------------------------
    Bad("booking naive start", lambda c: booking_request(start=NAIVE), ValueError, "start"),
    Bad(
        "booking naive end",
        lambda c: booking_request(end=NAIVE + timedelta(hours=1)),
        ValueError,
        "end",
    ),
    Bad("booking start a string", lambda c: booking_request(start="10:00"), TypeError, "start"),
    Bad(
        "booking start a date",
        lambda c: booking_request(start=START.date()),
        TypeError,
        "start",
    ),
    Bad(
        "availability naive start",
        lambda c: _availability(c, start=NAIVE),
        ValueError,
        "start",
    ),
    Bad(
        "availability naive end",
        lambda c: _availability(c, end=NAIVE + timedelta(hours=2)),
        ValueError,
        "end",
    ),
    Bad(
        "availability start a date",
        lambda c: _availability(c, start=START.date()),
        TypeError,
        "start",
    ),
    Bad(
        "recovery naive not_before",
        lambda c: rl.SlotRecovery(not_before=NAIVE),
        ValueError,
        "not_before",
    ),
    Bad(
        "recovery naive not_after",
        lambda c: rl.SlotRecovery(not_after=NAIVE),
        ValueError,
        "not_after",
    ),
    # -- end before (or at) start ----------------------------------------------------------
    Bad(
        "booking end before start",
        lambda c: booking_request(end=START - timedelta(minutes=1)),
        ValueError,
        "after start",
    ),
    Bad("booking end at start", lambda c: booking_request(end=START), ValueError, "after start"),
    Bad(
        "booking end before start, other zones",
        lambda c: booking_request(start=START, end=START.astimezone(timezone(timedelta(hours=5)))),
        ValueError,
        "after start",
    ),
    Bad(
        "availability end before start",
        lambda c: _availability(c, end=START - timedelta(hours=1)),
        ValueError,
        "after start",
    ),
    Bad(
        "availability end at start",
        lambda c: _availability(c, end=START),
        ValueError,
        "after start",
    ),
    # -- empty ids -------------------------------------------------------------------------
    Bad(
        "booking empty calendar_id",
        lambda c: booking_request(calendar_id=""),
        ValueError,
        "calendar_id",
    ),
    Bad(
        "booking blank resource_id",
        lambda c: booking_request(resource_id="   "),
        ValueError,
        "resource_id",
    ),
    Bad("booking empty entry_id", lambda c: booking_request(entry_id=""), ValueError, "entry_id"),
    Bad("lead empty table_id", lambda c: lead_request(table_id=""), ValueError, "table_id"),
    Bad(
        "lead blank lead_state_id",
        lambda c: lead_request(lead_state_id=" "),
        ValueError,
        "lead_state_id",
    ),
    Bad("delete empty id", lambda c: c.bookings.delete(""), ValueError, "booking_id"),
    Bad("delete None", lambda c: c.bookings.delete(None), TypeError, "booking_id"),  # type: ignore[arg-type]
    Bad("calendars.get empty id", lambda c: c.calendars.get(""), ValueError, "id"),
    Bad("tables.get blank id", lambda c: c.tables.get("  "), ValueError, "id"),
    Bad("leads.update empty id", lambda c: c.leads.update("", PATCH), ValueError, "entry_id"),
    Bad(
        "availability empty calendar_id",
        lambda c: _availability(c, calendar_id=""),
        ValueError,
        "calendar_id",
    ),
    Bad(
        "availability blank appointment_type_id",
        lambda c: _availability(c, appointment_type_id="  "),
        ValueError,
        "appointment_type_id",
    ),
    Bad(
        "availability empty resource_id",
        lambda c: _availability(c, resource_id=""),
        ValueError,
        "resource_id",
    ),
    Bad(
        "resource_slots empty calendar_id",
        lambda c: c.resource_slots.list(calendar_id=""),
        ValueError,
        "calendarId",
    ),
    Bad(
        "mappings empty resource_id",
        lambda c: c.resource_calendar_mappings.list(resource_id=""),
        ValueError,
        "resourceId",
    ),
    # -- budgets and policies ----------------------------------------------------------------
    Bad("call timeout 0", lambda c: c.calendars.list(timeout=0), ValueError, "timeout"),
    Bad("call timeout negative", lambda c: c.calendars.list(timeout=-1), ValueError, "timeout"),
    Bad(
        "call timeout infinite",
        lambda c: c.calendars.list(timeout=float("inf")),
        ValueError,
        "timeout",
    ),
    Bad(
        "retry max_attempts 0",
        lambda c: rl.RetryPolicy(max_attempts=0),
        ValueError,
        "max_attempts",
    ),
    Bad(
        "recovery max_attempts 0",
        lambda c: rl.SlotRecovery(max_attempts=0),
        ValueError,
        "max_attempts",
    ),
    Bad(
        "availability step_length 0",
        lambda c: _availability(c, step_length=0),
        ValueError,
        "step_length",
    ),
    # -- request bodies --------------------------------------------------------------------
    Bad(
        "create a dict",
        lambda c: c.bookings.create({"calendarId": "x"}),  # type: ignore[arg-type]
        TypeError,
        "BookingRequest",
    ),
    Bad(
        "book a dict",
        lambda c: c.bookings.book({"calendarId": "x"}),  # type: ignore[arg-type]
        TypeError,
        "BookingRequest",
    ),
    Bad(
        "leads.create a dict",
        lambda c: c.leads.create({"tableId": "x"}),  # type: ignore[arg-type]
        TypeError,
        "LeadRequest",
    ),
    Bad("lead data not a mapping", lambda c: lead_request(data="Jonas"), TypeError, "data"),
    Bad("lead data with int keys", lambda c: lead_request(data={1: "x"}), TypeError, "data"),
    Bad(
        "booking name not a str",
        lambda c: c.bookings.create(booking_request(name=object())),
        TypeError,
        "name",
    ),
    Bad("leads.update empty patch", lambda c: c.leads.update("entry_77", {}), ValueError, "empty"),
    Bad(
        "leads.update int keys",
        lambda c: c.leads.update("entry_77", {1: "x"}),  # type: ignore[dict-item]
        TypeError,
        "keys",
    ),
    Bad(
        "leads.update a list",
        lambda c: c.leads.update("entry_77", [("a", 1)]),  # type: ignore[arg-type]
        TypeError,
        "mapping",
    ),
)


def test_the_call_table_is_countable() -> None:
    assert len({bad.name for bad in CALLS}) == len(CALLS) == 44


async def _error_of(bad: Bad, client: rl.RocketLeadClient) -> BaseException:
    """What ``bad.action`` raises, awaited if it returns an awaitable."""
    try:
        result = bad.action(client)
        if inspect.isawaitable(result):
            await result
    except Exception as error:
        return error
    raise AssertionError(f"{bad.name}: accepted")


@pytest.mark.parametrize("bad", CALLS, ids=lambda bad: bad.name)
async def test_refused_before_any_request(
    bad: Bad, server: ScriptedServer, client: rl.RocketLeadClient
) -> None:
    error = await _error_of(bad, client)
    assert type(error) is bad.error or isinstance(error, bad.error), repr(error)
    assert bad.mentions in str(error)
    assert_no_secret(TOKEN, [render_error(error)], "an error")
    assert server.requests == [], "a request reached the server"


# -- building a client ----------------------------------------------------------------------
# Each action is a lambda without locals or free variables: a traceback rendered with locals
# shows only what the SDK's own frames hold.

Build = Callable[[], rl.RocketLeadClient]

BUILDS: tuple[tuple[str, Build, type[Exception], str], ...] = (
    # -- tokens ------------------------------------------------------------------------------
    ("token without the prefix", lambda: rl.RocketLeadClient(SECRET), ValueError, "rocketlead_"),
    ("token live_ only", lambda: rl.RocketLeadClient("live_" + SECRET), ValueError, "rocketlead_"),
    (
        "token upper-case prefix",
        lambda: rl.RocketLeadClient("ROCKETLEAD_live_" + SECRET),
        ValueError,
        "rocketlead_",
    ),
    (
        "token with Bearer",
        lambda: rl.RocketLeadClient("Bearer " + TOKEN),
        ValueError,
        "rocketlead_",
    ),
    (
        "token with inner space",
        lambda: rl.RocketLeadClient(TOKEN[:20] + " " + TOKEN[20:]),
        ValueError,
        "whitespace",
    ),
    (
        "token with a header after a newline",
        lambda: rl.RocketLeadClient(TOKEN + "\nX-Evil: 1"),
        ValueError,
        "control",
    ),
    (
        "token with its secret after a newline",
        lambda: rl.RocketLeadClient(TOKEN + "\n" + SECRET),
        ValueError,
        "control",
    ),
    ("token empty", lambda: rl.RocketLeadClient(""), ValueError, "ROCKETLEAD_API_TOKEN"),
    ("token bytes", lambda: rl.RocketLeadClient(TOKEN.encode()), TypeError, "token"),  # type: ignore[arg-type]
    # -- base URLs ---------------------------------------------------------------------------
    (
        "http to the real API",
        lambda: rl.RocketLeadClient(TOKEN, base_url="http://api.rocketlead.io"),
        ValueError,
        "https",
    ),
    (
        "http to a private IP",
        lambda: rl.RocketLeadClient(TOKEN, base_url="http://10.0.0.8:8080"),
        ValueError,
        "https",
    ),
    (
        "http to 0.0.0.0",
        lambda: rl.RocketLeadClient(TOKEN, base_url="http://0.0.0.0:8080"),
        ValueError,
        "https",
    ),
    (
        "http to localhost.evil",
        lambda: rl.RocketLeadClient(TOKEN, base_url="http://localhost.evil.example"),
        ValueError,
        "must use https",
    ),
    (
        "http to 127.0.0.1.nip.io",
        lambda: rl.RocketLeadClient(TOKEN, base_url="http://127.0.0.1.nip.io"),
        ValueError,
        "https",
    ),
    (
        "http to a localhost subdomain",
        lambda: rl.RocketLeadClient(TOKEN, base_url="http://anything.localhost"),
        ValueError,
        "must use https",
    ),
    (
        "http to a localhost subdomain with a port",
        lambda: rl.RocketLeadClient(TOKEN, base_url="http://api.localhost:8080"),
        ValueError,
        "must use https",
    ),
    (
        "ftp base URL",
        lambda: rl.RocketLeadClient(TOKEN, base_url="ftp://api.rocketlead.io"),
        ValueError,
        "https",
    ),
    (
        "credentials in the base URL",
        lambda: rl.RocketLeadClient(TOKEN, base_url="https://user:pw@api.rocketlead.io"),
        ValueError,
        "credentials",
    ),
    (
        "relative base URL",
        lambda: rl.RocketLeadClient(TOKEN, base_url="api.rocketlead.io"),
        ValueError,
        "absolute",
    ),
    (
        "a path as the base URL",
        lambda: rl.RocketLeadClient(TOKEN, base_url="/connect"),
        ValueError,
        "base_url",
    ),
    (
        "base URL with a query",
        lambda: rl.RocketLeadClient(TOKEN, base_url="https://api.rocketlead.io/?x=1"),
        ValueError,
        "query",
    ),
    # -- budgets, limits, policies, sessions -------------------------------------------------
    ("client timeout 0", lambda: rl.RocketLeadClient(TOKEN, timeout=0), ValueError, "timeout"),
    ("client timeout -1", lambda: rl.RocketLeadClient(TOKEN, timeout=-1), ValueError, "timeout"),
    (
        "client timeout nan",
        lambda: rl.RocketLeadClient(TOKEN, timeout=float("nan")),
        ValueError,
        "timeout",
    ),
    (
        "client timeout True",
        lambda: rl.RocketLeadClient(TOKEN, timeout=True),
        ValueError,
        "timeout",
    ),
    ("retry not a policy", lambda: rl.RocketLeadClient(TOKEN, retry=3), TypeError, "RetryPolicy"),  # type: ignore[arg-type]
    (
        "max_connections 0",
        lambda: rl.RocketLeadClient(TOKEN, max_connections=0),
        ValueError,
        "max_connections",
    ),
    (
        "max_response_bytes -1",
        lambda: rl.RocketLeadClient(TOKEN, max_response_bytes=-1),
        ValueError,
        "max_response_bytes",
    ),
    (
        "max_response_bytes 1.5",
        lambda: rl.RocketLeadClient(TOKEN, max_response_bytes=1.5),  # type: ignore[arg-type]
        ValueError,
        "max_response_bytes",
    ),
    (
        "session not a session",
        lambda: rl.RocketLeadClient(TOKEN, session="not a session"),  # type: ignore[arg-type]
        TypeError,
        "session",
    ),
)


def _build_error(build: Build) -> BaseException:
    """What ``build()`` raises; this frame holds only ``build`` (no token)."""
    try:
        build()
    except Exception as error:
        return error
    raise AssertionError("accepted")


def test_the_build_table_is_countable() -> None:
    assert len({name for name, *_ in BUILDS}) == len(BUILDS) == 30


@pytest.mark.parametrize(
    ("build", "error", "mentions"),
    [pytest.param(build, error, mentions, id=name) for name, build, error, mentions in BUILDS],
)
def test_a_bad_client_is_refused_by_name_without_showing_the_token(
    build: Build, error: type[Exception], mentions: str
) -> None:
    refused = _build_error(build)
    assert type(refused) is error, repr(refused)
    assert mentions in str(refused)
    assert_no_secret(TOKEN, [render_error(refused)], "a constructor traceback")
