"""Telling the application about writes whose outcome the caller did not get.

One :class:`OutcomeReporter` per client. It calls the ``on_outcome_unknown`` hook exactly once
per unknown POST, never awaiting it inline (an async hook runs as a task the reporter tracks,
so a slow hook never stretches the call's budget and a cancelled caller never cuts it off),
and :meth:`OutcomeReporter.drain` — run by ``aclose()`` — waits until no tracked task is pending,
including tasks created while it waits. Hook errors are logged, never raised into the SDK.

Other deliveries that must outlive the call (a booking POST's answer read on after the caller
was cancelled, delivered to a late-outcome hook) use the same machinery: :meth:`spawn` runs
and tracks any such coroutine, :meth:`call_hook` delivers to any hook.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

from .errors import OutcomeUnknownError

__all__ = ["OutcomeReporter", "OutcomeUnknownHook"]

T = TypeVar("T")

logger = logging.getLogger("rocketlead_async")

OutcomeUnknownHook = Callable[[OutcomeUnknownError], "Awaitable[None] | None"]


class OutcomeReporter:
    """Delivers outcomes to the application's hooks and keeps track of what is still running."""

    __slots__ = ("_tasks", "on_outcome_unknown")

    def __init__(self, on_outcome_unknown: OutcomeUnknownHook | None = None) -> None:
        self.on_outcome_unknown = on_outcome_unknown
        self._tasks: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:
        return f"<OutcomeReporter pending={len(self._tasks)}>"

    @property
    def pending(self) -> int:
        """Tracked tasks not yet finished."""
        return len(self._tasks)

    def unknown(self, error: OutcomeUnknownError) -> None:
        """Report ``error`` to ``on_outcome_unknown`` (once: the caller calls this once)."""
        self.call_hook(self.on_outcome_unknown, error, "on_outcome_unknown")

    def call_hook(self, hook: Callable[[T], object] | None, value: T, name: str) -> None:
        """Call ``hook(value)`` now; an awaitable result becomes a tracked task, not awaited."""
        if hook is None:
            return
        try:
            result = hook(value)
        except Exception:
            logger.exception("%s hook failed", name)
            return
        if inspect.isawaitable(result):
            self.spawn(_guarded(result, name))

    def spawn(self, coroutine: Coroutine[Any, Any, T]) -> asyncio.Task[T]:
        """Run ``coroutine`` as a task that :meth:`drain` waits for."""
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def drain(self) -> None:
        """Wait until no tracked task is pending, including ones created meanwhile."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


async def _guarded(awaitable: Awaitable[object], name: str) -> None:
    try:
        await awaitable
    except Exception:
        logger.exception("%s hook failed", name)
