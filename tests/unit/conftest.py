"""Fixtures of the unit tests: a fake clock, aioresponses, clients, loopback servers."""

from __future__ import annotations

import inspect
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator

import aiohttp
import aioresponses.core
import pytest
from tests.helpers.clients import MakeClient, closing_clients
from aiohttp import web
from aioresponses import aioresponses as Aioresponses

import rocketlead_async as rl

from ._support import RELEASE, TOKEN, CompatResponse, FakeClock, Handler, Loopback, Seen


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def mocked(monkeypatch: pytest.MonkeyPatch) -> Iterator[Aioresponses]:
    """aioresponses, made to build responses aiohttp 3.14 accepts."""
    if "stream_writer" in inspect.signature(aiohttp.ClientResponse.__init__).parameters:
        monkeypatch.setattr(aioresponses.core, "ClientResponse", CompatResponse)
    with Aioresponses() as mocked:
        yield mocked


@pytest.fixture
async def make_client(clock: FakeClock) -> AsyncIterator[MakeClient]:
    """Clients on the fake clock (every backoff is recorded, none is waited); all are closed
    when the test ends."""
    async with closing_clients(lambda name: name or TOKEN, clock=clock, sleep=clock.sleep) as make:
        yield make


@pytest.fixture
def client(make_client: MakeClient) -> rl.RocketLeadClient:
    return make_client()


@pytest.fixture
async def loopback() -> AsyncIterator[Callable[[Handler], Awaitable[Loopback]]]:
    """Start a raw aiohttp.web server on 127.0.0.1 (port 0) around a handler; it records every
    request it receives (after reading its body) before the handler runs. ``release`` (see
    ``hang``) lets hanging handlers finish at teardown."""
    runners: list[web.AppRunner] = []

    async def start(handler: Handler) -> Loopback:
        seen: list[Seen] = []

        async def recording(request: web.Request) -> web.StreamResponse:
            body = await request.read()
            seen.append(Seen(request.method, request.raw_path, dict(request.headers), body))
            return await handler(request)

        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", recording)
        runner = web.AppRunner(app)
        await runner.setup()
        runners.append(runner)
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        return Loopback(f"http://127.0.0.1:{port}", seen)

    yield start
    RELEASE.set()
    for runner in runners:
        await runner.cleanup()


@pytest.fixture
def closed_port() -> int:
    """A loopback port nobody listens on: connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
