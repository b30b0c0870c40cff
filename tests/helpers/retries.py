"""The retry tests' shared vocabulary: one call per HTTP method, failures injected by kind
(status answers from the scripted server, transport failures through ``intercept``), and a
caller who hangs up on cue."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from aioresponses import aioresponses

import rocketlead_async as rl

from .bodies import booking_json, booking_request, envelope, lead_json, lead_request
from .clock import FakeClock
from .intercept import refused, timing_out
from .scripted import ScriptedServer

REQUEST = booking_request()
LEAD = lead_request()
CALENDARS = "/connect/calendar/"
BOOKINGS = "/connect/calendar_bookings/"
LEADS = "/connect/table_entries/"

Call = Callable[[rl.RocketLeadClient], Awaitable[Any]]

# target -> (HTTP method, path, the call, a successful answer's payload)
TARGETS: dict[str, tuple[str, str, Call, Any]] = {
    "GET": (
        "GET",
        "/connect/calendar/cal_berlin",
        lambda c: c.calendars.get("cal_berlin"),
        {"id": "cal_berlin"},
    ),
    "DELETE": (
        "DELETE",
        "/connect/calendar_bookings/bk_9001",
        lambda c: c.bookings.delete("bk_9001"),
        None,
    ),
    "PATCH": (
        "PATCH",
        "/connect/table_entries/entry_77",
        lambda c: c.leads.update("entry_77", {"leadStateId": "ls_won"}),
        lead_json(),
    ),
    "POST booking": ("POST", BOOKINGS, lambda c: c.bookings.create(REQUEST), booking_json()),
    "POST lead": ("POST", LEADS, lambda c: c.leads.create(LEAD), lead_json()),
}
POST_TARGETS = [target for target, (method, *_) in TARGETS.items() if method == "POST"]

# Failures no server produces on cue without real waiting: injected through ``intercept``.
TRANSPORT = ("refused", "connect-timeout", "read-timeout", "disconnect")


def transport_failure(clock: FakeClock, kind: str) -> dict[str, Any]:
    """aioresponses arguments for one request failing with transport failure ``kind``.

    aioresponses never writes a request body, so for a POST each of these is a failure before
    the body went out (the SDK may repeat it); after-send failures need a real socket."""
    if kind == "refused":
        return {"exception": refused()}
    if kind == "connect-timeout":
        return {"exception": aiohttp.ConnectionTimeoutError("Connection timeout to host")}
    if kind == "read-timeout":
        return timing_out(clock)
    if kind == "disconnect":
        return {"exception": aiohttp.ServerDisconnectedError()}
    raise AssertionError(f"not a transport failure: {kind}")


def fail(
    server: ScriptedServer,
    intercept: aioresponses,
    clock: FakeClock,
    method: str,
    path: str,
    kind: str,
    *,
    repeat: bool = False,
) -> None:
    """The next request to ``method path`` (every one, with ``repeat``) fails with ``kind``: a
    transport failure (see ``TRANSPORT``) or an HTTP status ("503") with the API's envelope."""
    if kind in TRANSPORT:
        intercept.add(server.url + path, method, repeat=repeat, **transport_failure(clock, kind))
        return
    status = int(kind)
    server.add(
        method, path, status=status, payload=envelope(status, f"failure {status}"), repeat=repeat
    )


def rate_limited(retry_after: str, status: int = 429) -> dict[str, Any]:
    """``server.add`` fields for a refusal carrying ``Retry-After``."""
    return {
        "status": status,
        "payload": envelope(status, "Too Many Requests"),
        "headers": {"Retry-After": retry_after},
    }


async def cancel_when(started: asyncio.Event, coro: Awaitable[Any]) -> BaseException:
    """Run ``coro`` in a task and cancel it ("caller hung up") once ``started`` is set; return
    what escaped the SDK."""
    escaped: list[BaseException] = []

    async def run() -> None:
        try:
            await coro
        except BaseException as error:
            escaped.append(error)
            raise

    task = asyncio.create_task(run())
    await started.wait()
    task.cancel("caller hung up")
    with pytest.raises(asyncio.CancelledError):
        await task
    (error,) = escaped
    return error
