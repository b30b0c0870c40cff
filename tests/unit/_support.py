"""Shared data and helpers of the unit tests (fixtures live in conftest.py)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, timezone
from typing import Any
from unittest import mock

import aiohttp
import attrs
from aiohttp import web
from aiohttp.client_reqrep import ConnectionKey
from aioresponses import CallbackResult, aioresponses
from yarl import URL

import rocketlead_async as rl

# A token of the documented form: "rocketlead_live_" + 64 hex characters. Its secret part is
# distinctive so a leak is found by a plain substring search.
SECRET = "5ec7e75ec7e7" + "0123456789abcdef" * 3 + "c0ffee5e"
TOKEN = "rocketlead_live_" + SECRET
BASE = "https://api.rocketlead.io"
UA = f"rocketlead-async/{rl.__version__}"

BERLIN_WINTER = timezone(timedelta(hours=1))
START = datetime(2026, 3, 2, 9, 0, tzinfo=BERLIN_WINTER)
END = datetime(2026, 3, 2, 9, 30, tzinfo=BERLIN_WINTER)

# A lead's phone number: request and response bodies carry it; logs never may.
PHONE = "+49 151 23456789"


class FakeClock:
    """A monotonic clock that only moves when the SDK sleeps (or a test advances it)."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now
        self.start = now
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += max(0.0, delay)
        await asyncio.sleep(0)  # still a checkpoint, as a real sleep is

    @property
    def elapsed(self) -> float:
        return self.now - self.start


def url(path: str) -> URL:
    """The absolute URL of an already percent-encoded API path (kept exactly as encoded)."""
    return URL(BASE + path, encoded=True)


def any_query(path: str) -> re.Pattern[str]:
    """A pattern matching ``path`` with any query string."""
    return re.compile(re.escape(BASE + path) + r"(\?.*)?$")


def calls(mocked: aioresponses) -> list[tuple[str, URL, dict[str, Any]]]:
    """Every request the mock saw, matched or not: (method, url, request kwargs)."""
    return [
        (method, request_url, call.kwargs)
        for (method, request_url), recorded in mocked.requests.items()
        for call in recorded
    ]


def only_call(mocked: aioresponses) -> tuple[str, URL, dict[str, Any]]:
    seen = calls(mocked)
    assert len(seen) == 1, f"expected exactly one request, saw {len(seen)}: {seen}"
    return seen[0]


def body_bytes(data: object) -> bytes:
    """The bytes of a recorded request body: the SDK hands aiohttp a bytes payload object (it
    notes when aiohttp starts writing it); plain bytes are accepted too."""
    if isinstance(data, aiohttp.payload.BytesPayload):
        value = data._value
        assert isinstance(value, bytes)
        return value
    assert isinstance(data, (bytes, bytearray)), f"not a bytes body: {data!r}"
    return bytes(data)


def sent_json(kwargs: dict[str, Any]) -> Any:
    """The JSON body a recorded request carried."""
    return json.loads(body_bytes(kwargs["data"]))


def reply(
    status: int = 200,
    payload: Any = None,
    *,
    body: str | bytes | None = None,
    headers: dict[str, str] | None = None,
) -> CallbackResult:
    """A response for an aioresponses callback."""
    if body is None:
        body = "" if payload is None else json.dumps(payload)
    return CallbackResult(status=status, body=body, headers=headers)


def envelope(status: int, message: Any) -> dict[str, Any]:
    return {"statusCode": status, "message": message}


def refused() -> aiohttp.ClientConnectorError:
    """What aiohttp raises when the TCP connection was never established."""
    # By keyword: aiohttp 3.12 added a defaulted eighth field (server_hostname).
    key = ConnectionKey(
        host="api.rocketlead.io",
        port=443,
        is_ssl=True,
        ssl=True,
        proxy=None,
        proxy_auth=None,
        proxy_headers_hash=None,
    )
    return aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "Connection refused"))


def timing_out(clock: FakeClock) -> dict[str, Any]:
    """aioresponses arguments for a request that hangs until its attempt's timeout: the
    callback moves the fake clock by the ClientTimeout aiohttp was given, then the request
    times out. (An exception raised by a callback would not consume a one-shot mock.)

    aioresponses never writes a request body, so for a POST this stands for a timeout before
    the body went out (the SDK may repeat it); a POST that times out after it was sent needs a
    real socket (see ``hang``)."""

    def callback(_url: URL, **kwargs: Any) -> None:
        clock.advance(kwargs["timeout"].total)

    return {"callback": callback, "exception": asyncio.TimeoutError()}


def sequence(*outcomes: Any) -> Callable[..., Any]:
    """An aioresponses callback answering each request with the next outcome: a
    CallbackResult, or an exception instance to raise. Register it with ``repeat=True``."""
    pending = list(outcomes)

    def callback(_url: URL, **_kwargs: Any) -> CallbackResult:
        assert pending, "more requests than the test planned"
        outcome = pending.pop(0)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome  # type: ignore[no-any-return]

    return callback


def slot_json(
    start: str = "2026-03-02T09:00:00.000+01:00",
    end: str = "2026-03-02T09:30:00.000+01:00",
    **over: Any,
) -> dict[str, Any]:
    slot = {
        "resourceId": "res_anna",
        "resourceName": "Anna (Trainerin)",
        "resourceColor": "#4f9d69",
        "resourceSlotId": "rs_mon_am",
        "appointmentTypeId": "apt_trial",
        "startDateTime": start,
        "endDateTime": end,
        "maxParallelBookings": 2,
        "currentBookings": 0,
        "available": True,
    }
    slot.update(over)
    return slot


def _utc_z(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def _with_offset(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def availability_json() -> dict[str, Any]:
    """A day of half-hour slots for two resources, 48 in all; some full, some unavailable."""
    slots = []
    for resource, name in (("res_anna", "Anna"), ("res_ben", "Ben")):
        for index in range(24):
            begin = datetime(2026, 3, 2, 8, 0, tzinfo=BERLIN_WINTER) + timedelta(minutes=30 * index)
            # Anna's slots come back in UTC ("Z"), Ben's with the calendar's offset.
            fmt = _utc_z if resource == "res_anna" else _with_offset
            slots.append(
                slot_json(
                    fmt(begin),
                    fmt(begin + timedelta(minutes=30)),
                    resourceId=resource,
                    resourceName=name,
                    resourceSlotId=f"rs_{resource}_{index}",
                    currentBookings=2 if index % 6 == 0 else index % 2,
                    available=index % 5 != 4,
                )
            )
    return {
        "data": slots,
        "meta": {
            "appointmentTypeName": "Probetraining",
            "defaultBookingLength": 30,
            "bufferAfter": 10,
            "dynamicLength": False,
        },
    }


def booking_json(**over: Any) -> dict[str, Any]:
    booking: dict[str, Any] = {
        "organizationId": "org_81f2",
        "calendarId": "cal_berlin",
        "tableEntryId": "entry_77",
        "tableEntryData": {
            "fld_name": {"value": "Erika Mustermann"},
            "fld_phone": {"value": PHONE},
        },
        "tableId": "tbl_leads",
        "tableSchemaFields": {
            "fld_phone": {
                "friendlyName": "Telefon",
                "type": "string",
                "specialType": "phone",
                "primaryOfSpecialType": True,
                "hidden": False,
                "description": "Mobilnummer",
                "validation": {"pattern": "^\\+?[0-9 ]+$", "required": True, "min": 6, "max": 20},
                "frequency": 0.97,
                "lastSeen": "2026-02-27T12:00:00.000Z",
                "isDeprecated": False,
                "converted": False,
                "convertedToCustomFieldId": None,
            },
            "fld_whatsapp": {
                "friendlyName": "WhatsApp",
                "type": "string",
                "specialType": "whatsapp",
                "frequency": 3,
                "lastSeen": "2026-02-27T12:00:00",
                "isDeprecated": False,
                "uiOrder": 4,
            },
        },
        "calendarScheduleTypeId": None,
        "calendarScheduleTypeSlotId": None,
        "resourceId": "res_anna",
        "appointmentTypeId": "apt_trial",
        "resourceSlotId": "rs_mon_am",
        "id": "bk_9001",
        "name": "Probetraining Erika",
        "createdAt": "2026-03-01T10:15:00.123Z",
        "deletedAt": None,
        "startDateTime": "2026-03-02T09:00:00.000+01:00",
        "endDateTime": "2026-03-02T09:30:00.000+01:00",
        "leadStateColor": "#2f80ed",
        "leadStateName": "Neu",
        "chainBookingGroupId": None,
        "bookingSource": "connect",
    }
    booking.update(over)
    return booking


def lead_json(**over: Any) -> dict[str, Any]:
    lead: dict[str, Any] = {
        "tableId": "tbl_leads",
        "id": "entry_77",
        "organizationId": "org_81f2",
        "archived": False,
        "createdAt": "2026-03-01T10:14:59.000Z",
        "updatedAt": "2026-03-01T10:14:59.000Z",
        "data": {"fld_name": {"value": "Erika Mustermann"}, "fld_phone": {"value": PHONE}},
        "leadStateId": "ls_new",
        "customFieldData": {"cf_source": "voice-agent"},
        "interestedInAppointmentTypeId": "apt_trial",
        "assignedUserId": "usr_3",
    }
    lead.update(over)
    return lead


def booking_request(**over: Any) -> rl.BookingRequest:
    fields: dict[str, Any] = {
        "calendar_id": "cal_berlin",
        "start": START,
        "end": END,
        "resource_id": "res_anna",
        "appointment_type_id": "apt_trial",
        "resource_slot_id": "rs_mon_am",
    }
    fields.update(over)
    return rl.BookingRequest(**fields)


def lead_request(**over: Any) -> rl.LeadRequest:
    fields: dict[str, Any] = {
        "table_id": "tbl_leads",
        "data": {"fld_name": {"value": "Erika Mustermann"}, "fld_phone": {"value": PHONE}},
        "lead_state_id": "ls_new",
    }
    fields.update(over)
    return rl.LeadRequest(**fields)


class CompatResponse(aiohttp.ClientResponse):
    """aioresponses 0.7.9 builds ClientResponse without the ``stream_writer`` argument that
    aiohttp 3.14 requires; this subclass supplies a stand-in."""

    def __init__(self, method: str, url: URL, **kwargs: Any) -> None:
        kwargs.setdefault("stream_writer", mock.Mock(output_size=0))
        super().__init__(method, url, **kwargs)


@attrs.define
class Seen:
    method: str
    raw_path: str
    headers: dict[str, str]
    body: bytes


@attrs.define
class Loopback:
    url: str
    seen: list[Seen]


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class _Release:
    """An event created lazily in the running loop (one per test)."""

    def __init__(self) -> None:
        self._event: asyncio.Event | None = None

    def _get(self) -> asyncio.Event:
        if self._event is None:
            self._event = asyncio.Event()
        return self._event

    def set(self) -> None:
        if self._event is not None:
            self._event.set()
        self._event = None

    async def wait(self) -> None:
        await self._get().wait()


RELEASE = _Release()


async def hang(_request: web.Request) -> web.StreamResponse:
    """A handler that never answers while the test runs."""
    await RELEASE.wait()
    return web.Response(status=204)


async def drop_after_send(request: web.Request) -> web.StreamResponse:
    """A handler that closes the connection without answering. The ``loopback`` fixture has
    read the whole request (its body too) before it runs: the request was sent."""
    assert request.transport is not None
    request.transport.close()
    await asyncio.sleep(0)
    return web.Response()


class Held:
    """A handler that holds every GET until ``release`` is set (then answers ``[]``) and
    answers a POST at once with a created booking or lead. A GET held on the only pooled
    connection keeps every other request waiting for that connection. Create it inside the
    test (its events belong to the running loop) and release it before the test ends."""

    def __init__(self) -> None:
        self.arrived = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        if request.method == "GET":
            self.arrived.set()
            await self.release.wait()
            return web.json_response([])
        if "calendar_bookings" in request.path:
            return web.json_response(booking_json(), status=201)
        return web.json_response(lead_json(), status=201)
