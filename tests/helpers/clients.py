"""SDK clients for tests, made one way by every test and closed when the test ends."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import rocketlead_async as rl

# A token of the documented form: "rocketlead_live_" + 64 hex characters. Its secret part is
# distinctive so a leak is found by a plain substring search.
SECRET = "5ec7e75ec7e7" + "0123456789abcdef" * 3 + "c0ffee5e"
TOKEN = "rocketlead_live_" + SECRET
UA = f"rocketlead-async/{rl.__version__}"

MakeClient = Callable[..., rl.RocketLeadClient]
"""``make(token=None, **client_kwargs)``: a client closed when the test ends."""


@asynccontextmanager
async def closing_clients(
    token: Callable[[str | None], str], **defaults: Any
) -> AsyncIterator[MakeClient]:
    """Yield ``make(token=None, **kwargs)``: a client with ``defaults`` under ``kwargs``, its
    token ``token(name)`` (so a fixture maps ``None`` or a scope name to a real token)."""
    made: list[rl.RocketLeadClient] = []

    def make(token_name: str | None = None, **kwargs: Any) -> rl.RocketLeadClient:
        name = kwargs.pop("token", token_name)
        client = rl.RocketLeadClient(token(name), **{**defaults, **kwargs})
        made.append(client)
        return client

    try:
        yield make
    finally:
        for client in made:
            await client.aclose()
