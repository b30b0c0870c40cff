"""Waiting with a bound without swallowing the caller's cancellation."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Collection
from typing import TypeVar

__all__ = ["settle", "within"]

T = TypeVar("T")


async def within(awaitable: Awaitable[T], timeout: float) -> T:
    """``awaitable``'s result, cancelled with ``TimeoutError`` after ``timeout`` seconds.

    Not ``asyncio.wait_for``: before Python 3.12 it returns the result and swallows the
    caller's cancellation when both arrive in the same loop turn, and ``book()`` would then
    POST for a caller who has already left.
    """
    task = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    except asyncio.CancelledError:
        task.cancel()
        raise
    if not done:
        task.cancel()
        raise asyncio.TimeoutError
    return task.result()


async def settle(tasks: Collection[asyncio.Future[object]]) -> None:
    """Wait until ``tasks`` (a live set whose tasks leave it from their own done callbacks) is
    empty, including tasks added while waiting. The calling task itself is never waited for (a
    hook that closes the client would wait for itself).

    A finished task still in the set has done callbacks to run (leaving the set, delivering a
    late outcome that may start a hook task): yield to the loop so they run. ``gather()`` over
    finished tasks does not yield on Python 3.12+, so waiting on it alone would spin forever.
    """
    current = asyncio.current_task()
    while any(task is not current for task in tasks):
        pending = [task for task in tasks if not task.done() and task is not current]
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        else:
            await asyncio.sleep(0)
