"""``max_response_bytes``: a body past the limit is refused as an UnexpectedResponseError,
without being read into memory, and the client stays usable."""

from __future__ import annotations

import json
import tracemalloc

import pytest
from aiohttp import web

import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead, Fault
from tests.helpers.clients import MakeClient
from tests.helpers.fixtures.core import StartServer


@pytest.mark.parametrize("chunked", [True, False], ids=["no-content-length", "content-length"])
async def test_body_larger_than_max_response_bytes_is_refused(
    loopback: StartServer, make_client: MakeClient, chunked: bool
) -> None:
    big = json.dumps([{"id": f"cal_{i}", "name": "x" * 50} for i in range(200)]).encode()

    async def handler(request: web.Request) -> web.StreamResponse:
        if not chunked:
            return web.Response(body=big, content_type="application/json")
        response = web.StreamResponse()
        response.enable_chunked_encoding()
        response.content_type = "application/json"
        await response.prepare(request)
        for start in range(0, len(big), 1000):
            await response.write(big[start : start + 1000])
        await response.write_eof()
        return response

    server = await loopback(handler)
    client = make_client(base_url=server.url, max_response_bytes=4096)
    roomy = make_client(base_url=server.url, max_response_bytes=len(big))

    with pytest.raises(rl.UnexpectedResponseError, match="max_response_bytes") as info:
        await client.calendars.list()

    assert info.value.status == 200
    assert len(server.requests) == 1  # refused, not retried
    assert len(await roomy.calendars.list()) == 200  # exactly at the limit is fine


@pytest.mark.parametrize("content_length", [True, False], ids=["Content-Length", "chunked"])
async def test_huge_body_is_refused_without_being_read_into_memory(
    content_length: bool, fake: FakeRocketLead, make_fake_client: MakeClient
) -> None:
    """64 MiB of valid JSON against a 1 MiB limit: refused, and the process never holds more
    than a few MiB of it."""
    limit, size = 1024 * 1024, 64 * 1024 * 1024
    client = make_fake_client(max_response_bytes=limit)
    await client.calendars.list()  # connection and session set up outside the measurement
    fake.faults.add("GET /connect/calendar/", Fault.huge(size, content_length=content_length))
    tracemalloc.start()
    try:
        with pytest.raises(rl.UnexpectedResponseError, match="max_response_bytes") as caught:
            await client.calendars.list()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * limit, f"peak {peak} bytes while refusing a {size}-byte body"
    assert caught.value.status == 200
    assert fake.request_count("GET /connect/calendar/") == 2  # refused, not retried
    assert await client.calendars.list()  # the connection was not left half-read


async def test_default_limit_refuses_a_body_announced_past_it(
    fake: FakeRocketLead, make_fake_client: MakeClient
) -> None:
    fake.faults.add("GET /connect/tables/", Fault.huge(9 * 1024 * 1024))
    with pytest.raises(rl.UnexpectedResponseError, match="8388608"):  # the default, 8 MiB
        await make_fake_client().tables.list()
