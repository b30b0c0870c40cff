"""``max_response_bytes`` bounds the body the SDK holds, not the bytes on the wire.

FakeRocketLead does not compress, so this uses a bare loopback server that answers like a
compressing proxy: a small gzip body whose ``Content-Length`` is far below the cap but which
inflates far beyond it. aiohttp asks for gzip by default and inflates transparently.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

import rocketlead_async as rl

TOKEN = "rocketlead_live_" + "c0" * 32
CAP = 64 * 1024
CALENDARS = [{"id": "cal_1", "name": "Studio", "tzdata": "Europe/Berlin"}]


@pytest.fixture
async def gzip_server() -> AsyncIterator[str]:
    inflated = json.dumps([*CALENDARS, {"id": "x", "pad": " " * 4000000}]).encode()
    small = json.dumps(CALENDARS).encode()

    async def huge(_request: web.Request) -> web.Response:
        return _gzipped(inflated)

    async def fine(_request: web.Request) -> web.Response:
        return _gzipped(small)

    app = web.Application()
    app.router.add_get("/connect/calendar/", huge)
    app.router.add_get("/connect/resources/", fine)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    finally:
        await runner.cleanup()


def _gzipped(body: bytes) -> web.Response:
    packed = gzip.compress(body)
    assert len(packed) < CAP < len(body) or len(body) < CAP
    return web.Response(
        body=packed,
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )


async def test_compressed_body_inflating_past_the_cap_is_refused(gzip_server: str) -> None:
    async with rl.RocketLeadClient(
        TOKEN, base_url=gzip_server, max_response_bytes=CAP, retry=rl.NO_RETRY
    ) as client:
        with pytest.raises(rl.UnexpectedResponseError, match="max_response_bytes"):
            await client.calendars.list()
        # A compressed answer within the cap is read as usual.
        (only,) = await client.resources.list()
        assert only.id == "cal_1"
