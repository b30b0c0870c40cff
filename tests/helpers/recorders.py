"""Recorders for the SDK's hooks, and a loop-yielding wait for a condition."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import rocketlead_async as rl


class Unknowns(list[rl.OutcomeUnknownError]):
    """An ``on_outcome_unknown`` hook: a list of the errors it received. Sync by default;
    ``is_async=True`` makes calls return a coroutine that yields once before recording."""

    def __init__(self, *, is_async: bool = False) -> None:
        super().__init__()
        self.is_async = is_async

    def __call__(self, error: rl.OutcomeUnknownError) -> Awaitable[None] | None:
        if not self.is_async:
            self.append(error)
            return None
        return self._record(error)

    async def _record(self, error: rl.OutcomeUnknownError) -> None:
        await asyncio.sleep(0)
        self.append(error)


class Events:
    """Records ``on_event`` calls; ``hook`` is sync, ``async_hook`` async."""

    def __init__(self) -> None:
        self.seen: list[rl.RecoveryEvent] = []

    def hook(self, event: rl.RecoveryEvent) -> None:
        self.seen.append(event)

    async def async_hook(self, event: rl.RecoveryEvent) -> None:
        await asyncio.sleep(0)
        self.seen.append(event)

    @property
    def steps(self) -> list[tuple[str, int]]:
        """(kind, attempt) of every event, in order."""
        return [(event.kind.value, event.attempt) for event in self.seen]

    def of(self, kind: rl.RecoveryEventKind) -> list[rl.RecoveryEvent]:
        return [event for event in self.seen if event.kind is kind]


async def until(predicate: Callable[[], bool], *, what: str, limit: float = 10.0) -> None:
    """Yield to the loop until ``predicate()`` holds; no fixed sleeps, only a safety limit."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0)
