"""The client's life: built anywhere, used in one loop, closed once; a user's session is used
and left open; with_options() copies share the pool and the hook, never the policy."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import aiohttp
import pytest

import rocketlead_async as rl
from tests.helpers.bodies import booking_request
from tests.helpers.clients import TOKEN, MakeClient
from tests.helpers.clock import FakeClock
from tests.helpers.fixtures.core import StartServer
from tests.helpers.handlers import Held, drop_after_send
from tests.helpers.intercept import timing_out
from tests.helpers.raw_server import RawRequest, raw_server, response
from tests.helpers.recorders import Unknowns
from tests.helpers.scripted import ScriptedServer

if TYPE_CHECKING:
    from aioresponses import aioresponses

CALENDARS = "/connect/calendar/"
OTHER_TOKEN = "rocketlead_live_" + "f" * 64


async def test_client_can_be_built_outside_a_running_loop(server: ScriptedServer) -> None:
    """Built where no loop runs (module level, a sync factory), then used in one."""
    server.get(CALENDARS, payload=[{"id": "cal_berlin"}])

    def outside_any_loop() -> list[str]:
        client = rl.RocketLeadClient(TOKEN, base_url=server.url)

        async def use() -> list[str]:
            async with client:
                return [c.id for c in await client.calendars.list()]

        return asyncio.run(use())

    # A thread of its own: this test's loop serves the server meanwhile.
    assert await asyncio.to_thread(outside_any_loop) == ["cal_berlin"]


async def test_async_with_closes_the_client_once(
    server: ScriptedServer, client: rl.RocketLeadClient
) -> None:
    server.get(CALENDARS, payload=[])
    async with client:
        await client.calendars.list()

    with pytest.raises(RuntimeError, match="closed"):
        await client.calendars.list()
    await client.aclose()  # idempotent
    assert len(server.requests) == 1  # the refused call sent nothing


async def test_closing_an_unused_client_is_fine() -> None:
    async with rl.RocketLeadClient(TOKEN) as client:
        pass
    with pytest.raises(RuntimeError, match="closed"):
        await client.calendars.list()


async def test_user_session_is_used_and_left_open(server: ScriptedServer) -> None:
    server.get(CALENDARS, payload=[{"id": "cal_berlin"}], repeat=True)
    started: list[str] = []

    async def on_start(_s: Any, _ctx: SimpleNamespace, params: Any) -> None:
        started.append(str(params.url))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        async with rl.RocketLeadClient(TOKEN, base_url=server.url, session=session) as client:
            await client.calendars.list()
        assert not session.closed  # ours, not the client's
        assert started == [server.url + CALENDARS]
        # Still usable after the client is gone.
        async with session.get(server.url + CALENDARS) as answer:
            assert answer.status == 200


async def test_with_options_shares_the_connection_and_leaves_it_open(
    make_client: MakeClient,
) -> None:
    """The copy's request goes out on the original's kept-alive connection; closing the copy
    closes neither the pool nor the original."""

    def answer(_request: RawRequest) -> bytes:
        return response(200, [])

    async with raw_server(answer) as raw:
        client = make_client(base_url=raw.url)
        await client.calendars.list()
        async with client.with_options(timeout=2.5, retry=rl.NO_RETRY) as derived:
            assert (derived.timeout, derived.retry) == (2.5, rl.NO_RETRY)
            await derived.calendars.list()
        await client.calendars.list()  # the original still works
        assert [request.connection for request in raw.requests] == [1, 1, 1]
    assert (client.timeout, client.retry) == (10.0, rl.RetryPolicy())


async def test_with_options_timeout_applies_to_the_copy_only(
    server: ScriptedServer, make_client: MakeClient, clock: FakeClock, intercept: aioresponses
) -> None:
    client = make_client(base_url=server.url, retry=rl.NO_RETRY)
    intercept.get(server.url + CALENDARS, **timing_out(clock))
    intercept.get(server.url + CALENDARS, **timing_out(clock))
    with pytest.raises(rl.APITimeoutError):
        await client.with_options(timeout=2.5).calendars.list()
    assert clock.elapsed == 2.5
    with pytest.raises(rl.APITimeoutError):
        await client.calendars.list()
    assert clock.elapsed == 2.5 + 10.0  # the default budget, unchanged


async def test_with_options_policy_is_the_copys_and_the_hook_is_shared(
    server: ScriptedServer, client: rl.RocketLeadClient, unknowns: Unknowns
) -> None:
    server.get(CALENDARS + "x", status=503, body="", repeat=True)
    server.post("/connect/calendar_bookings/", status=504, body="")
    derived = client.with_options(retry=rl.NO_RETRY)
    with pytest.raises(rl.InternalServerError):
        await derived.calendars.get("x")
    assert len(server.requests) == 1
    with pytest.raises(rl.InternalServerError):
        await client.calendars.get("x")
    assert len(server.requests) == 1 + 3
    with pytest.raises(rl.BookingOutcomeUnknown) as caught:
        await derived.bookings.create(booking_request())
    assert unknowns == [caught.value]


async def test_with_options_to_another_endpoint_and_token_shares_the_pool(
    loopback: StartServer, make_client: MakeClient
) -> None:
    """A copy for another endpoint and token sends its own token and headers, but waits for
    the original's connections (one pool, one ``max_connections``)."""
    held = Held()
    first, second = await loopback(held), await loopback()
    second.get(CALENDARS, payload=[])
    client = make_client(base_url=first.url, max_connections=1)
    other = client.with_options(
        base_url=second.url, token=OTHER_TOKEN, default_headers={"X-Agent": "7"}
    )
    assert other.base_url == second.url
    assert other.seat_claims is not client.seat_claims  # another identity

    slow = asyncio.create_task(client.calendars.list())
    await held.arrived.wait()
    fast = asyncio.create_task(other.calendars.list())
    for _ in range(20):
        await asyncio.sleep(0)
    assert second.requests == []  # waiting for the one connection of the shared pool
    held.release.set()
    assert await slow == []
    assert await fast == []

    await other.aclose()
    assert await client.calendars.list() == []  # closing the copy left the original working
    assert [s.headers["Authorization"] for s in first.requests] == [f"Bearer {TOKEN}"] * 2
    seen = second.only
    assert seen.headers["Authorization"] == f"Bearer {OTHER_TOKEN}"
    assert seen.headers["X-Agent"] == "7"
    assert "X-Agent" not in first.requests[0].headers


async def test_aiohttps_silent_resend_is_off_in_the_sdks_session(loopback: StartServer) -> None:
    """A server that drops every GET: the SDK's own session sends exactly one request under
    NO_RETRY; a default aiohttp session (as a user might pass) sends a hidden second one."""
    server = await loopback(drop_after_send)
    async with rl.RocketLeadClient(TOKEN, base_url=server.url, retry=rl.NO_RETRY) as client:
        with pytest.raises(rl.APIConnectionError):
            await client.calendars.list()
    assert len(server.requests) == 1

    server.requests.clear()
    async with aiohttp.ClientSession() as session:
        user = rl.RocketLeadClient(TOKEN, base_url=server.url, retry=rl.NO_RETRY, session=session)
        with pytest.raises(rl.APIConnectionError):
            await user.calendars.list()
    assert len(server.requests) == 2  # the caveat the README documents for user sessions


def test_repr_shows_config_only() -> None:
    client = rl.RocketLeadClient(TOKEN, timeout=7.5)
    assert repr(client) == "RocketLeadClient(base_url='https://api.rocketlead.io', timeout=7.5)"
