"""Transport failures injected on cue with aioresponses (the ``intercept`` fixture).

Only exceptions are registered here: aioresponses raises them without building a response,
and every request it does not match passes through to the real loopback server. That covers
what no server can produce on cue without real waiting: a refused connection, a timeout on a
fake clock, an OS error mid-request.
"""

from __future__ import annotations

import asyncio
from typing import Any

import aiohttp
from aiohttp.client_reqrep import ConnectionKey
from aioresponses import aioresponses
from yarl import URL

from .clock import FakeClock


def refused(host: str = "127.0.0.1", port: int = 80) -> aiohttp.ClientConnectorError:
    """What aiohttp raises when the TCP connection was never established."""
    # By keyword: aiohttp 3.12 added a defaulted eighth field (server_hostname).
    key = ConnectionKey(
        host=host,
        port=port,
        is_ssl=False,
        ssl=True,
        proxy=None,
        proxy_auth=None,
        proxy_headers_hash=None,
    )
    return aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "Connection refused"))


def timing_out(clock: FakeClock) -> dict[str, Any]:
    """aioresponses arguments for a request that hangs until its attempt's timeout: the
    callback moves the fake clock by the ClientTimeout aiohttp was given, then the request
    times out, with no real waiting.

    aioresponses never writes a request body, so for a POST this stands for a timeout before
    the body went out (the SDK may repeat it); a POST that times out after it was sent needs a
    real socket (``ScriptedServer(hang)``)."""

    def callback(_url: URL, **kwargs: Any) -> None:
        clock.advance(kwargs["timeout"].total)

    return {"callback": callback, "exception": asyncio.TimeoutError()}


def intercepted(mocked: aioresponses) -> list[tuple[str, URL, dict[str, Any]]]:
    """Every request aioresponses matched: (method, url, request kwargs)."""
    return [
        (method, request_url, call.kwargs)
        for (method, request_url), recorded in mocked.requests.items()
        for call in recorded
    ]
