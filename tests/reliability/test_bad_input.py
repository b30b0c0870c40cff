"""Bad input from the user: each is a clear, typed error before any request is sent.

Every case runs next to a live fake and asserts that not one request reached it, that the error
is the documented type (``ValueError``/``TypeError``) and names what was wrong, and that it never
echoes the token.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead

from ._support import booking_request, demo_zone
from .conftest import MakeClient

# A well-formed token the fake does not know; its secret part must never show in a message.
SECRET = "5ec7e75ec7e7" + "0123456789abcdef" * 3 + "c0ffee5e"
TOKEN = "rocketlead_live_" + SECRET

Action = Callable[[rl.RocketLeadClient, FakeRocketLead], Any]


@attrs.frozen
class Bad:
    name: str
    action: Action
    error: type[Exception]
    mentions: str


def _start(fake: FakeRocketLead) -> datetime:
    return datetime(2027, 3, 25, 10, 0, tzinfo=demo_zone(fake))


def _naive(fake: FakeRocketLead) -> datetime:
    return _start(fake).replace(tzinfo=None)


def _availability(c: rl.RocketLeadClient, f: FakeRocketLead, **over: Any) -> Any:
    args: dict[str, Any] = {
        "calendar_id": f.demo.mitte_calendar_id,
        "appointment_type_id": f.demo.personal_training_type_id,
        "start": _start(f),
        "end": _start(f) + timedelta(hours=2),
    }
    args.update(over)
    return c.availability.get(**args)


def _booking(f: FakeRocketLead, **over: Any) -> rl.BookingRequest:
    return booking_request(f, "bad input", **over)


def _lead(f: FakeRocketLead, **over: Any) -> rl.LeadRequest:
    args: dict[str, Any] = {
        "table_id": f.demo.table_id,
        "data": {"firstName": {"value": "x"}},
        "lead_state_id": f.demo.default_lead_state_id,
    }
    args.update(over)
    return rl.LeadRequest(**args)


def _client(**kwargs: Any) -> Action:
    """Building a client (pointed at the fake unless ``base_url`` is given)."""

    def build(_c: rl.RocketLeadClient, f: FakeRocketLead) -> Any:
        options = {"base_url": f.url, "token": TOKEN, **kwargs}
        return rl.RocketLeadClient(options.pop("token"), **options)

    return build


def _entry(f: FakeRocketLead) -> str:
    return f.demo.lead_entry_ids[1]


PATCH = {"leadStateId": "x"}

BAD: tuple[Bad, ...] = (
    # -- naive datetimes -------------------------------------------------------------------
    Bad("booking naive start", lambda c, f: _booking(f, start=_naive(f)), ValueError, "start"),
    Bad(
        "booking naive end",
        lambda c, f: _booking(f, end=_naive(f) + timedelta(hours=1)),
        ValueError,
        "end",
    ),
    Bad("booking start a string", lambda c, f: _booking(f, start="10:00"), TypeError, "start"),
    Bad(
        "booking start a date",
        lambda c, f: _booking(f, start=date(2027, 3, 25)),
        TypeError,
        "start",
    ),
    Bad(
        "availability naive start",
        lambda c, f: _availability(c, f, start=_naive(f)),
        ValueError,
        "start",
    ),
    Bad(
        "availability naive end",
        lambda c, f: _availability(c, f, end=_naive(f) + timedelta(hours=2)),
        ValueError,
        "end",
    ),
    Bad(
        "availability start a date",
        lambda c, f: _availability(c, f, start=date(2027, 3, 25)),
        TypeError,
        "start",
    ),
    Bad(
        "recovery naive not_before",
        lambda c, f: rl.SlotRecovery(not_before=_naive(f)),
        ValueError,
        "not_before",
    ),
    Bad(
        "recovery naive not_after",
        lambda c, f: rl.SlotRecovery(not_after=_naive(f)),
        ValueError,
        "not_after",
    ),
    # -- end before (or at) start ----------------------------------------------------------
    Bad(
        "booking end before start",
        lambda c, f: _booking(f, end=_start(f) - timedelta(minutes=1)),
        ValueError,
        "after start",
    ),
    Bad("booking end at start", lambda c, f: _booking(f, end=_start(f)), ValueError, "after start"),
    Bad(
        "booking end before start, other zones",
        lambda c, f: _booking(
            f, start=_start(f), end=_start(f).astimezone(timezone(timedelta(hours=5)))
        ),
        ValueError,
        "after start",
    ),
    Bad(
        "availability end before start",
        lambda c, f: _availability(c, f, end=_start(f) - timedelta(hours=1)),
        ValueError,
        "after start",
    ),
    Bad(
        "availability end at start",
        lambda c, f: _availability(c, f, end=_start(f)),
        ValueError,
        "after start",
    ),
    # -- empty ids -------------------------------------------------------------------------
    Bad(
        "booking empty calendar_id",
        lambda c, f: _booking(f, calendar_id=""),
        ValueError,
        "calendar_id",
    ),
    Bad(
        "booking blank resource_id",
        lambda c, f: _booking(f, resource_id="   "),
        ValueError,
        "resource_id",
    ),
    Bad("booking empty entry_id", lambda c, f: _booking(f, entry_id=""), ValueError, "entry_id"),
    Bad("lead empty table_id", lambda c, f: _lead(f, table_id=""), ValueError, "table_id"),
    Bad(
        "lead blank lead_state_id",
        lambda c, f: _lead(f, lead_state_id=" "),
        ValueError,
        "lead_state_id",
    ),
    Bad("delete empty id", lambda c, f: c.bookings.delete(""), ValueError, "booking_id"),
    Bad("delete None", lambda c, f: c.bookings.delete(None), TypeError, "booking_id"),
    Bad("calendars.get empty id", lambda c, f: c.calendars.get(""), ValueError, "id"),
    Bad("tables.get blank id", lambda c, f: c.tables.get("  "), ValueError, "id"),
    Bad("leads.update empty id", lambda c, f: c.leads.update("", PATCH), ValueError, "entry_id"),
    Bad(
        "availability empty calendar_id",
        lambda c, f: _availability(c, f, calendar_id=""),
        ValueError,
        "calendar_id",
    ),
    Bad(
        "availability blank appointment_type_id",
        lambda c, f: _availability(c, f, appointment_type_id="  "),
        ValueError,
        "appointment_type_id",
    ),
    Bad(
        "availability empty resource_id",
        lambda c, f: _availability(c, f, resource_id=""),
        ValueError,
        "resource_id",
    ),
    Bad(
        "resource_slots empty calendar_id",
        lambda c, f: c.resource_slots.list(calendar_id=""),
        ValueError,
        "calendarId",
    ),
    Bad(
        "mappings empty resource_id",
        lambda c, f: c.resource_calendar_mappings.list(resource_id=""),
        ValueError,
        "resourceId",
    ),
    # -- ids that would reach another path ---------------------------------------------------
    Bad("delete id with /", lambda c, f: c.bookings.delete("abc/def"), ValueError, "abc/def"),
    Bad(
        "delete id with ?", lambda c, f: c.bookings.delete("abc?force=1"), ValueError, "abc?force=1"
    ),
    Bad("delete id with #", lambda c, f: c.bookings.delete("abc#x"), ValueError, "abc#x"),
    Bad("delete id ..", lambda c, f: c.bookings.delete(".."), ValueError, "'..'"),
    Bad(
        "delete id ../x",
        lambda c, f: c.bookings.delete("../table_entries"),
        ValueError,
        "booking_id",
    ),
    Bad(
        "delete id with a backslash",
        lambda c, f: c.bookings.delete("a\\b"),
        ValueError,
        "booking_id",
    ),
    Bad("delete id with a newline", lambda c, f: c.bookings.delete("abc\n"), ValueError, "control"),
    Bad("calendars.get x/../y", lambda c, f: c.calendars.get("x/../y"), ValueError, "x/../y"),
    Bad("resources.get /", lambda c, f: c.resources.get("/"), ValueError, "'/'"),
    Bad("appointment_types.get #", lambda c, f: c.appointment_types.get("#"), ValueError, "'#'"),
    Bad("tables.get ?", lambda c, f: c.tables.get("?"), ValueError, "'?'"),
    Bad(
        "leads.update id with a query",
        lambda c, f: c.leads.update("e1?archived=true", PATCH),
        ValueError,
        "entry_id",
    ),
    Bad("leads.update id ..", lambda c, f: c.leads.update("..", PATCH), ValueError, "entry_id"),
    # -- tokens ----------------------------------------------------------------------------
    Bad("token without the prefix", _client(token=SECRET), ValueError, "rocketlead_"),
    Bad("token live_ only", _client(token="live_" + SECRET), ValueError, "rocketlead_"),
    Bad(
        "token upper-case prefix",
        _client(token="ROCKETLEAD_live_" + SECRET),
        ValueError,
        "rocketlead_",
    ),
    Bad("token with Bearer", _client(token="Bearer " + TOKEN), ValueError, "rocketlead_"),
    Bad(
        "token with inner space",
        _client(token=TOKEN[:20] + " " + TOKEN[20:]),
        ValueError,
        "whitespace",
    ),
    Bad("token with a newline", _client(token=TOKEN + "\nX-Evil: 1"), ValueError, "control"),
    Bad("token empty", _client(token=""), ValueError, "ROCKETLEAD_API_TOKEN"),
    Bad("token bytes", _client(token=TOKEN.encode()), TypeError, "token"),
    # -- base URLs -------------------------------------------------------------------------
    Bad("http to the real API", _client(base_url="http://api.rocketlead.io"), ValueError, "https"),
    Bad("http to a private IP", _client(base_url="http://10.0.0.8:8080"), ValueError, "https"),
    Bad("http to 0.0.0.0", _client(base_url="http://0.0.0.0:8080"), ValueError, "https"),
    Bad(
        "http to localhost.evil",
        _client(base_url="http://localhost.evil.example"),
        ValueError,
        "https",
    ),
    Bad(
        "http to 127.0.0.1.nip.io", _client(base_url="http://127.0.0.1.nip.io"), ValueError, "https"
    ),
    Bad("ftp base URL", _client(base_url="ftp://api.rocketlead.io"), ValueError, "https"),
    Bad(
        "credentials in the base URL",
        _client(base_url="https://user:pw@api.rocketlead.io"),
        ValueError,
        "credentials",
    ),
    Bad("relative base URL", _client(base_url="api.rocketlead.io"), ValueError, "absolute"),
    Bad(
        "base URL with a query",
        _client(base_url="https://api.rocketlead.io/?x=1"),
        ValueError,
        "query",
    ),
    # -- budgets, limits, policies ---------------------------------------------------------
    Bad("client timeout 0", _client(timeout=0), ValueError, "timeout"),
    Bad("client timeout nan", _client(timeout=float("nan")), ValueError, "timeout"),
    Bad("call timeout negative", lambda c, f: c.calendars.list(timeout=-1), ValueError, "timeout"),
    Bad(
        "call timeout infinite",
        lambda c, f: c.calendars.list(timeout=float("inf")),
        ValueError,
        "timeout",
    ),
    Bad("retry not a policy", _client(retry=3), TypeError, "RetryPolicy"),
    Bad(
        "retry max_attempts 0",
        lambda c, f: rl.RetryPolicy(max_attempts=0),
        ValueError,
        "max_attempts",
    ),
    Bad("max_connections 0", _client(max_connections=0), ValueError, "max_connections"),
    Bad("max_response_bytes -1", _client(max_response_bytes=-1), ValueError, "max_response_bytes"),
    Bad(
        "recovery max_attempts 0",
        lambda c, f: rl.SlotRecovery(max_attempts=0),
        ValueError,
        "max_attempts",
    ),
    Bad(
        "availability step_length 0",
        lambda c, f: _availability(c, f, step_length=0),
        ValueError,
        "step_length",
    ),
    # -- request bodies --------------------------------------------------------------------
    Bad(
        "create a dict",
        lambda c, f: c.bookings.create({"calendarId": "x"}),
        TypeError,
        "BookingRequest",
    ),
    Bad(
        "book a dict",
        lambda c, f: c.bookings.book({"calendarId": "x"}),
        TypeError,
        "BookingRequest",
    ),
    Bad(
        "leads.create a dict",
        lambda c, f: c.leads.create({"tableId": "x"}),
        TypeError,
        "LeadRequest",
    ),
    Bad("lead data not a mapping", lambda c, f: _lead(f, data="Jonas"), TypeError, "data"),
    Bad("lead data with int keys", lambda c, f: _lead(f, data={1: "x"}), TypeError, "data"),
    Bad(
        "booking name not a str",
        lambda c, f: c.bookings.create(booking_request(f, object())),
        TypeError,
        "name",
    ),
    Bad(
        "leads.update empty patch", lambda c, f: c.leads.update(_entry(f), {}), ValueError, "empty"
    ),
    Bad(
        "leads.update int keys", lambda c, f: c.leads.update(_entry(f), {1: "x"}), TypeError, "keys"
    ),
    Bad(
        "leads.update a list",
        lambda c, f: c.leads.update(_entry(f), [("a", 1)]),
        TypeError,
        "mapping",
    ),
)


def test_the_table_is_countable() -> None:
    assert len({bad.name for bad in BAD}) == len(BAD) == 78


@pytest.mark.parametrize("bad", BAD, ids=lambda bad: bad.name)
async def test_refused_before_any_request(
    bad: Bad, fake: FakeRocketLead, make_client: MakeClient
) -> None:
    client = make_client()

    async def attempt() -> None:
        result = bad.action(client, fake)
        if inspect.isawaitable(result):
            await result
        if isinstance(result, rl.RocketLeadClient):  # pragma: no cover - only on failure
            await result.aclose()

    with pytest.raises(bad.error) as caught:
        await attempt()
    message = str(caught.value)
    assert bad.mentions in message
    assert SECRET not in message
    assert SECRET[:16] not in message
    assert fake.tokens.admin not in message
    assert fake.request_count() == 0, "a request reached the fake"


async def test_token_from_the_environment_must_be_set(
    fake: FakeRocketLead, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ROCKETLEAD_API_TOKEN", raising=False)
    with pytest.raises(ValueError, match="ROCKETLEAD_API_TOKEN"):
        rl.RocketLeadClient(base_url=fake.url)
    monkeypatch.setenv("ROCKETLEAD_API_TOKEN", SECRET)
    with pytest.raises(ValueError, match="rocketlead_") as caught:
        rl.RocketLeadClient(base_url=fake.url)
    assert SECRET not in str(caught.value)
    assert fake.request_count() == 0


@pytest.mark.parametrize(
    "base_url", ["http://127.0.0.1:1", "http://localhost:1", "http://[::1]:1", "https://x.example"]
)
def test_loopback_http_and_any_https_are_accepted(base_url: str) -> None:
    """The counterpart: the refusals above are not blanket ones."""
    client = rl.RocketLeadClient(TOKEN, base_url=base_url)
    assert client.base_url == base_url
