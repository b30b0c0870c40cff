"""Tasks in tests: cancelling a call, and the tasks a test leaves behind."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest


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


async def cancel(call: asyncio.Future[Any]) -> float:
    """Cancel ``call`` (still running) and check that CancelledError is what its caller sees;
    returns the monotonic time it did."""
    assert not call.done(), "the call finished before the test could cancel it"
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert call.cancelled()
    return time.monotonic()
