"""aiohttp handlers for ``ScriptedServer(handler)``: servers that hang, hang up or hold."""

from __future__ import annotations

import asyncio

from aiohttp import web

from .bodies import booking_json, lead_json


class Release:
    """An event created lazily in the running loop: ``hang`` waits on it; the ``loopback``
    fixture sets it at teardown so hanging handlers finish."""

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


RELEASE = Release()


async def hang(_request: web.Request) -> web.StreamResponse:
    """Never answers while the test runs."""
    await RELEASE.wait()
    return web.Response(status=204)


async def drop_after_send(request: web.Request) -> web.StreamResponse:
    """Closes the connection without answering. The server has read the whole request (its
    body too) before this runs: the request was sent."""
    assert request.transport is not None
    request.transport.close()
    await asyncio.sleep(0)
    return web.Response()


class Held:
    """Holds every GET until ``release`` is set (then answers ``[]``) and answers a POST at once
    with a created booking or lead. A GET held on the only pooled connection keeps every other
    request waiting for that connection. Create it inside the test (its events belong to the
    running loop) and release it before the test ends."""

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
