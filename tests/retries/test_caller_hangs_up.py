"""The caller hangs up (the call's task is cancelled): the CancelledError goes on unchanged,
nothing is retried after it, and a booking POST the server already received is reported as an
unknown outcome, while one still queued for a connection is not."""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import rocketlead_async as rl
from tests.helpers.clients import MakeClient
from tests.helpers.clock import FakeClock
from tests.helpers.fixtures.core import StartServer
from tests.helpers.handlers import RELEASE, Held, hang
from tests.helpers.recorders import Unknowns
from tests.helpers.retries import CALENDARS, REQUEST, cancel_when
from tests.helpers.scripted import Answer, ScriptedServer, Seen


async def test_cancelled_call_propagates_cancelled_error_unchanged(
    server: ScriptedServer, client: rl.RocketLeadClient, clock: FakeClock
) -> None:
    started = asyncio.Event()

    async def stuck(_seen: Seen) -> Answer:
        started.set()
        await RELEASE.wait()
        return Answer(204)

    server.get(CALENDARS, stuck)

    error = await cancel_when(started, client.calendars.list())

    assert type(error) is asyncio.CancelledError
    assert error.args == ("caller hung up",)
    assert len(server.requests) == 1
    assert clock.sleeps == []


async def test_cancel_during_backoff_is_not_retried(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    slept = asyncio.Event()

    async def slow_sleep(_delay: float) -> None:
        slept.set()
        await asyncio.Event().wait()

    server.get(CALENDARS, status=503, body="", repeat=True)
    client = make_client(base_url=server.url, sleep=slow_sleep)

    error = await cancel_when(slept, client.calendars.list())

    assert type(error) is asyncio.CancelledError
    assert len(server.requests) == 1


async def test_cancel_inside_a_retried_attempt_propagates(
    server: ScriptedServer, client: rl.RocketLeadClient
) -> None:
    started = asyncio.Event()

    async def second_hangs(_seen: Seen) -> Answer:
        started.set()
        await RELEASE.wait()
        return Answer(204)

    server.get(CALENDARS, status=503, body="")
    server.get(CALENDARS, second_hangs)

    error = await cancel_when(started, client.calendars.list())

    assert type(error) is asyncio.CancelledError
    assert error.args == ("caller hung up",)
    assert len(server.requests) == 2


@pytest.mark.parametrize("hook_kind", ["sync", "async"])
async def test_cancelled_booking_post_reports_an_unknown_outcome(
    loopback: StartServer,
    make_client: MakeClient,
    sdk_or_user_session: aiohttp.ClientSession | None,
    hook_kind: str,
) -> None:
    """The caller hangs up after the server got the whole booking request: the hook hears of
    it once (an async hook runs on; aclose() waits for it), the CancelledError goes on, and
    the POST is never repeated."""
    hooked = Unknowns(is_async=hook_kind == "async")
    arrived = asyncio.Event()

    async def handler(request: web.Request) -> web.StreamResponse:
        arrived.set()  # the server has read the whole request
        return await hang(request)

    server = await loopback(handler)
    client = make_client(
        base_url=server.url, session=sdk_or_user_session, on_outcome_unknown=hooked
    )
    error = await cancel_when(arrived, client.bookings.create(REQUEST))
    await client.aclose()  # waits for an async hook

    assert type(error) is asyncio.CancelledError
    assert error.args == ("caller hung up",)
    (unknown,) = hooked
    assert type(unknown) is rl.BookingOutcomeUnknown
    assert unknown.request is REQUEST
    assert "cancelled" in unknown.reason
    assert len(server.requests) == 1


async def test_post_cancelled_while_waiting_for_a_pooled_connection_is_not_unknown(
    loopback: StartServer, make_client: MakeClient, unknowns: Unknowns
) -> None:
    """Cancelled while queued for a connection, a booking was never sent: the CancelledError
    goes on and the hook hears nothing. (A user session, so a trace can tell the test exactly
    when the request is queued.)"""
    held = Held()
    server = await loopback(held)
    queued = asyncio.Event()

    async def on_queued(*_args: Any) -> None:
        queued.set()

    trace = aiohttp.TraceConfig()
    trace.on_connection_queued_start.append(on_queued)
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=1), trace_configs=[trace]
    ) as session:
        client = make_client(base_url=server.url, session=session)
        try:
            slow_get = asyncio.create_task(client.calendars.list())
            await held.arrived.wait()
            assert not queued.is_set()

            error = await cancel_when(queued, client.bookings.create(REQUEST))
        finally:
            held.release.set()
        assert await slow_get == []
        await client.aclose()

    assert type(error) is asyncio.CancelledError
    assert error.args == ("caller hung up",)
    assert unknowns == []
    assert [seen.method for seen in server.requests] == ["GET"]
