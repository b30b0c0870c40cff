"""A raw JSON client for FakeRocketLead's own tests: what any HTTP client sees on the wire,
with no SDK in between."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import aiohttp
from attrs import frozen

from rocketlead_async.testing import DemoOrg, FakeRocketLead

# The fake's wall clock in its own tests (``manual_fake``): a fixed moment before the demo week.
FAKE_NOW = datetime(2027, 3, 1, 12, 0, tzinfo=timezone.utc)


class Dropped(aiohttp.ClientConnectionError):
    """The server closed the connection without answering (``Wire`` raises it)."""


async def surface_drops(
    request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
) -> aiohttp.ClientResponse:
    """A client middleware: a dropped connection is raised as ``Dropped``. aiohttp resends an
    idempotent request (GET, DELETE, ...) once when the server drops the connection; it does so
    only for its own disconnect errors, so raising another one makes every drop visible and
    keeps the fake's request counts exact."""
    try:
        return await handler(request)
    except aiohttp.ClientConnectorError:
        raise  # could not connect at all: aiohttp never resends that
    except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError) as error:
        raise Dropped(str(error)) from error


@frozen
class Reply:
    """A response read in full: status, headers, raw body and decoded JSON (or None)."""

    status: int
    headers: Mapping[str, str]
    raw: bytes
    json: Any


class Wire:
    """A raw aiohttp client for the fake: scope names ("read", "write", "admin") pick the seeded
    token, any other string is sent as the token, ``None`` sends no Authorization header."""

    def __init__(self, session: aiohttp.ClientSession, fake: FakeRocketLead) -> None:
        self.session = session
        self.fake = fake

    def headers(self, token: str | None) -> dict[str, str]:
        """The Authorization header for ``token`` (a scope name or a literal token)."""
        if token is None:
            return {}
        scopes = {
            "read": self.fake.tokens.read,
            "write": self.fake.tokens.write,
            "admin": self.fake.tokens.admin,
        }
        return {"Authorization": f"Bearer {scopes.get(token, token)}"}

    async def call(
        self,
        method: str,
        path: str,
        *,
        token: str | None = "admin",
        json: Any = None,
        data: bytes | None = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> Reply:
        """Send one request (JSON ``json`` or raw ``data``) and read the whole answer."""
        sent = {**self.headers(token), **(headers or {})}
        async with self.session.request(
            method,
            self.fake.url + path,
            json=json,
            data=data,
            params=params,
            headers=sent,
            timeout=timeout or aiohttp.ClientTimeout(total=10),
        ) as response:
            raw = await response.read()
            try:
                decoded = await response.json(content_type=None) if raw else None
            except ValueError:
                decoded = None
            return Reply(response.status, dict(response.headers), raw, decoded)

    async def get(self, path: str, **kw: Any) -> Reply:
        """``call("GET", path, ...)``."""
        return await self.call("GET", path, **kw)

    async def post(self, path: str, body: Any, **kw: Any) -> Reply:
        """``call("POST", path, json=body, ...)``."""
        return await self.call("POST", path, json=body, **kw)


def ben_booking(demo: DemoOrg) -> dict[str, Any]:
    """The POST body of a booking the demo org accepts: Ben, Personal Training, Thursday 25
    March 10:00-11:00 in Berlin (nothing in the seed takes it)."""
    return {
        "calendarId": demo.mitte_calendar_id,
        "resourceId": demo.mitte_trainer_ids[1],
        "appointmentTypeId": demo.personal_training_type_id,
        "startDateTime": "2027-03-25T09:00:00.000Z",
        "endDateTime": "2027-03-25T10:00:00.000Z",
    }


def slot_booking(slot: Mapping[str, Any], calendar_id: str, **extra: Any) -> dict[str, Any]:
    """The booking POST body that books an availability slot as shown."""
    return {
        "calendarId": calendar_id,
        "resourceId": slot["resourceId"],
        "appointmentTypeId": slot["appointmentTypeId"],
        "resourceSlotId": slot["resourceSlotId"],
        "startDateTime": slot["startDateTime"],
        "endDateTime": slot["endDateTime"],
        **extra,
    }


async def fresh_get_status(url: str, token: str) -> int:
    """GET ``url`` with a brand-new stock aiohttp session (keep-alive, aiohttp's own resend)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session, session.get(url) as response:
        await response.read()
        return response.status
