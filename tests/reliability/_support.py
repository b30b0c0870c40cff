"""Shared pieces of the reliability suite: endpoints, sleeps, leak and secret checks."""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead

# The endpoint table has one home now; re-exported for the modules that still import it here.
from tests.helpers.endpoints import ENDPOINT as ENDPOINT
from tests.helpers.endpoints import ENDPOINTS as ENDPOINTS
from tests.helpers.endpoints import Endpoint as Endpoint
from tests.helpers.endpoints import Kind as Kind

# Loggers whose records are checked for the token at DEBUG level.
WATCHED_LOGGERS = ("rocketlead_async", "aiohttp", "asyncio")


class Sleeps:
    """An injected ``sleep=`` that waits for nothing: it records each delay and yields once (a
    checkpoint, as a real sleep is). ``then`` runs before each return, e.g. to restart a
    server."""

    def __init__(self, then: Callable[[float], Awaitable[None]] | None = None) -> None:
        self.delays: list[float] = []
        self.then = then

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        if self.then is not None:
            await self.then(delay)
        await asyncio.sleep(0)


class BlockingSleep:
    """An injected ``sleep=`` that blocks until released, so a test can cancel a caller
    exactly during a backoff: ``entered`` is set when the first sleep starts."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self.entered = asyncio.Event()
        self.release = asyncio.Event()

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)
        self.entered.set()
        await self.release.wait()


class Hook:
    """An ``on_outcome_unknown`` hook that records what it gets (sync by default; ``is_async``
    makes it a coroutine function that yields once before recording)."""

    def __init__(self, *, is_async: bool = False) -> None:
        self.calls: list[rl.OutcomeUnknownError] = []
        self.is_async = is_async

    def __call__(self, error: rl.OutcomeUnknownError) -> Awaitable[None] | None:
        if not self.is_async:
            self.calls.append(error)
            return None
        return self._record(error)

    async def _record(self, error: rl.OutcomeUnknownError) -> None:
        await asyncio.sleep(0)
        self.calls.append(error)


async def until(predicate: Callable[[], bool], *, what: str, limit: float = 5.0) -> None:
    """Yield to the loop until ``predicate()`` holds; no fixed sleeps, only a safety limit."""
    deadline = time.monotonic() + limit
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0)


# -- the demo organization's requests -------------------------------------------------------


def demo_zone(fake: FakeRocketLead) -> Any:
    return fake.demo.week_start.tzinfo


def ben_slot(fake: FakeRocketLead) -> tuple[datetime, datetime]:
    """Thu 2027-03-25 10:00-11:00 Berlin: free, on Ben (capacity 1), Personal Training."""
    start = datetime(2027, 3, 25, 10, 0, tzinfo=demo_zone(fake))
    return start, start + timedelta(hours=1)


def booking_request(fake: FakeRocketLead, name: str, **over: Any) -> rl.BookingRequest:
    start, end = ben_slot(fake)
    fields: dict[str, Any] = {
        "calendar_id": fake.demo.mitte_calendar_id,
        "start": start,
        "end": end,
        "resource_id": fake.demo.mitte_trainer_ids[1],
        "appointment_type_id": fake.demo.personal_training_type_id,
        "name": name,
    }
    fields.update(over)
    return rl.BookingRequest(**fields)


def lead_request(fake: FakeRocketLead, tag: str) -> rl.LeadRequest:
    return rl.LeadRequest(
        table_id=fake.demo.table_id,
        data={"firstName": {"value": tag}},
        lead_state_id=fake.demo.default_lead_state_id,
    )


def bookings_named(fake: FakeRocketLead, name: str) -> int:
    return sum(1 for booking in fake.state.bookings.values() if booking.name == name)


def leads_tagged(fake: FakeRocketLead, tag: str) -> int:
    return sum(
        1 for entry in fake.state.entries.values() if entry.data.get("firstName") == {"value": tag}
    )


# -- secrets -----------------------------------------------------------------------------------


def render_error(error: BaseException) -> str:
    """``str``, ``repr`` and the full traceback with every frame's locals, across the whole
    ``__cause__``/``__context__`` chain (what ``pytest --showlocals`` would print)."""
    parts = []
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        parts += [str(current), repr(current), repr(vars(current))]
        current = current.__cause__ or current.__context__
    rendered = traceback.TracebackException(
        type(error), error, error.__traceback__, capture_locals=True
    )
    parts.append("".join(rendered.format(chain=True)))
    return "\n".join(parts)


def secret_parts(token: str) -> list[str]:
    """The token and its secret part (after ``rocketlead_live_``), as a leak would show."""
    secret = token.split("_")[-1]
    return [token, secret, secret[:24], secret[-24:]]


def assert_no_secret(token: str, texts: Iterable[str], where: str) -> None:
    for text in texts:
        for part in secret_parts(token):
            at = text.find(part)
            assert at < 0, f"the token leaked into {where}: …{text[max(0, at - 300) : at + 40]}…"


def log_text(records: Iterable[logging.LogRecord]) -> str:
    """Every record rendered, plus the raw message and args (a formatter could show them)."""
    lines = []
    for record in records:
        lines += [record.getMessage(), str(record.msg), repr(record.args)]
        if record.exc_info and record.exc_info[1] is not None:
            lines.append(render_error(record.exc_info[1]))
    return "\n".join(lines)


# -- leaks ---------------------------------------------------------------------------------------


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
