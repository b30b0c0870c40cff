"""Time under the test's control: the client's monotonic clock and sleeps that never wait."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class FakeClock:
    """A monotonic clock for ``RocketLeadClient(clock=..., sleep=...)`` that moves only when the
    SDK sleeps (or the test advances it). ``sleeps`` records every wait the SDK asked for;
    ``then(delay)`` (optional) runs inside each sleep, e.g. to restart a server during a backoff.
    """

    def __init__(
        self, now: float = 1000.0, *, then: Callable[[float], Awaitable[None]] | None = None
    ) -> None:
        self.now = now
        self.start = now
        self.sleeps: list[float] = []
        self.then = then

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += max(0.0, delay)
        if self.then is not None:
            await self.then(delay)
        await asyncio.sleep(0)  # still a checkpoint, as a real sleep is

    @property
    def elapsed(self) -> float:
        return self.now - self.start


class BlockingSleep:
    """An injected ``sleep=`` that blocks until released, so a test can act exactly during a
    backoff: ``entered`` is set when the first sleep starts. Create it inside the test."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.entered.set()
        await self.release.wait()
