"""SDK clients for tests, made one way by every suite and closed when the test ends.

Importable as ``_clients`` because pytest puts ``tests/`` (the first folder without an
``__init__.py``) on ``sys.path``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import rocketlead_async as rl

MakeClient = Callable[..., rl.RocketLeadClient]


@asynccontextmanager
async def closing_clients(
    token: Callable[[str | None], str], **defaults: Any
) -> AsyncIterator[MakeClient]:
    """Yield ``make(token=None, **kwargs)``: a client with ``defaults`` under ``kwargs``, its
    token ``token(name)`` (so a suite can map ``None`` or a scope name to a real token)."""
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
