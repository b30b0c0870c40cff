"""``max_response_bytes`` bounds the body the SDK holds, not the bytes on the wire.

The server answers like a compressing proxy: a gzip body whose ``Content-Length`` is far below
the cap but which inflates far beyond it. aiohttp asks for gzip by default and inflates
transparently.
"""

from __future__ import annotations

import gzip
import json
from typing import Any

import pytest

import rocketlead_async as rl
from tests.helpers.clients import MakeClient
from tests.helpers.scripted import Answer, ScriptedServer

CAP = 64 * 1024
CALENDARS = [{"id": "cal_1", "name": "Studio", "tzdata": "Europe/Berlin"}]


def gzipped(payload: Any) -> Answer:
    return Answer(
        body=gzip.compress(json.dumps(payload).encode()),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
    )


async def test_compressed_body_inflating_past_the_cap_is_refused(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    inflated = [*CALENDARS, {"id": "x", "pad": " " * 4_000_000}]
    huge = gzipped(inflated)
    assert isinstance(huge.body, bytes)
    assert len(huge.body) < CAP < len(json.dumps(inflated))
    server.get("/connect/calendar/", huge)
    server.get("/connect/resources/", gzipped(CALENDARS))
    client = make_client(base_url=server.url, max_response_bytes=CAP, retry=rl.NO_RETRY)

    with pytest.raises(rl.UnexpectedResponseError, match="max_response_bytes"):
        await client.calendars.list()
    # A compressed answer within the cap is read as usual.
    (only,) = await client.resources.list()
    assert only.id == "cal_1"
