"""Helpers for the FakeRocketLead suite: a settable clock and a raw JSON client."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
from attrs import frozen

from rocketlead_async.testing import FakeRocketLead

START = datetime(2027, 3, 1, 12, 0, tzinfo=timezone.utc)  # before the demo week


class Clock:
    """A settable ``now`` for the fake."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@frozen
class Reply:
    """A response read in full: status, headers, raw body and decoded JSON (or None)."""

    status: int
    headers: Mapping[str, str]
    raw: bytes
    json: Any


class Wire:
    """A raw aiohttp client for the fake: scope names pick the seeded token."""

    def __init__(self, session: aiohttp.ClientSession, fake: FakeRocketLead) -> None:
        self.session = session
        self.fake = fake

    def headers(self, token: str | None) -> dict[str, str]:
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
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: aiohttp.ClientTimeout | None = None,
    ) -> Reply:
        sent = {**self.headers(token), **(headers or {})}
        async with self.session.request(
            method,
            self.fake.url + path,
            json=json,
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
        return await self.call("GET", path, **kw)

    async def post(self, path: str, body: Any, **kw: Any) -> Reply:
        return await self.call("POST", path, json=body, **kw)


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
    """GET ``url`` with a brand-new stock aiohttp session (keep-alive, default retries)."""
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session, session.get(url) as response:
        await response.read()
        return response.status
