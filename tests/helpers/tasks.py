"""The tasks a test leaves behind."""

from __future__ import annotations

import asyncio
from typing import Any


def drop_held_answers() -> None:
    """Cancel the fake server's request handlers still running (answers a latency fault holds
    for clients that left), so stopping the server does not wait them out."""
    for task in asyncio.all_tasks():
        if task.get_coro().__qualname__ == "RequestHandler._handle_request":  # type: ignore[union-attr]
            task.cancel()


def client_tasks() -> set[asyncio.Task[Any]]:
    """Live tasks other than the current one and the fake server's (aiohttp.web) handlers."""
    current = asyncio.current_task()
    out = set()
    for task in asyncio.all_tasks():
        if task is current or task.done():
            continue
        code = getattr(task.get_coro(), "cr_code", None)
        filename = code.co_filename if code is not None else ""
        if "aiohttp/web_" in filename.replace("\\", "/"):
            continue
        out.add(task)
    return out
