"""Shared pieces of the reliability suite: endpoints, sleeps, leak and secret checks."""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime, timedelta
from typing import Any, Literal

import attrs

import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead

Kind = Literal["read", "delete", "patch", "post"]

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


# -- endpoints ---------------------------------------------------------------------------------


@attrs.frozen
class Endpoint:
    """One SDK method and the fake's route it reaches. ``call(client, fake, tag)`` runs it;
    ``effect(fake, tag)`` is the number of times its write shows in the fake's state (POST:
    records carrying ``tag``; DELETE: 1 if the booking is gone; PATCH: 1 if applied)."""

    name: str
    route: str
    kind: Kind
    call: Callable[[rl.RocketLeadClient, FakeRocketLead, str], Awaitable[Any]]
    effect: Callable[[FakeRocketLead, str], int] | None = None
    unknown_error: type[rl.OutcomeUnknownError] = rl.OutcomeUnknownError


def _availability(client: rl.RocketLeadClient, fake: FakeRocketLead, _tag: str) -> Awaitable[Any]:
    start = datetime(2027, 3, 24, 9, 0, tzinfo=demo_zone(fake))
    return client.availability.get(
        calendar_id=fake.demo.mitte_calendar_id,
        appointment_type_id=fake.demo.personal_training_type_id,
        start=start,
        end=start + timedelta(hours=3),
    )


def _deleted(fake: FakeRocketLead, _tag: str) -> int:
    return int(fake.demo.booking_ids[3] not in fake.state.bookings)


def _patched(fake: FakeRocketLead, _tag: str) -> int:
    entry = fake.state.entries[fake.demo.lead_entry_ids[1]]
    return int(entry.lead_state_id == fake.demo.contacted_lead_state_id)


def _list_of(attr: str) -> Callable[[rl.RocketLeadClient, FakeRocketLead, str], Awaitable[Any]]:
    def call(client: rl.RocketLeadClient, _fake: FakeRocketLead, _tag: str) -> Awaitable[Any]:
        listed: Awaitable[Any] = getattr(client, attr).list()
        return listed

    return call


def _get_of(
    attr: str, some_id: Callable[[FakeRocketLead], str]
) -> Callable[[rl.RocketLeadClient, FakeRocketLead, str], Awaitable[Any]]:
    def call(client: rl.RocketLeadClient, fake: FakeRocketLead, _tag: str) -> Awaitable[Any]:
        got: Awaitable[Any] = getattr(client, attr).get(some_id(fake))
        return got

    return call


def _lookup_endpoints() -> list[Endpoint]:
    out: list[Endpoint] = []
    items: list[tuple[str, str, Callable[[FakeRocketLead], str]]] = [
        ("calendars", "/connect/calendar/", lambda f: f.demo.mitte_calendar_id),
        ("resources", "/connect/resources/", lambda f: f.demo.mitte_trainer_ids[0]),
        (
            "appointment_types",
            "/connect/appointment_types/",
            lambda f: f.demo.personal_training_type_id,
        ),
        ("tables", "/connect/tables/", lambda f: f.demo.table_id),
    ]
    for attr, path, some_id in items:
        out.append(
            Endpoint(
                f"{attr}.list",
                f"GET {path}",
                "read",
                _list_of(attr),
            )
        )
        out.append(
            Endpoint(
                f"{attr}.get",
                f"GET {path}{{id}}",
                "read",
                _get_of(attr, some_id),
            )
        )
    out += [
        Endpoint(
            "resource_slots.list",
            "GET /connect/resource_slots/",
            "read",
            lambda c, f, _t: c.resource_slots.list(calendar_id=f.demo.mitte_calendar_id),
        ),
        Endpoint(
            "resource_slot_blockers.list",
            "GET /connect/resource_slot_blockers/",
            "read",
            lambda c, f, _t: c.resource_slot_blockers.list(calendar_id=f.demo.mitte_calendar_id),
        ),
        Endpoint(
            "resource_calendar_mappings.list",
            "GET /connect/resource_calendar_mappings/",
            "read",
            lambda c, _f, _t: c.resource_calendar_mappings.list(),
        ),
        Endpoint(
            "appointment_type_resource_mappings.list",
            "GET /connect/appointment_type_resource_mappings/",
            "read",
            lambda c, _f, _t: c.appointment_type_resource_mappings.list(),
        ),
    ]
    return out


ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("availability.get", "GET /connect/availability/", "read", _availability),
    Endpoint(
        "bookings.create",
        "POST /connect/calendar_bookings/",
        "post",
        lambda c, f, tag: c.bookings.create(booking_request(f, tag)),
        bookings_named,
        rl.BookingOutcomeUnknown,
    ),
    Endpoint(
        "bookings.delete",
        "DELETE /connect/calendar_bookings/{id}",
        "delete",
        lambda c, f, _t: c.bookings.delete(f.demo.booking_ids[3]),
        _deleted,
    ),
    Endpoint(
        "leads.create",
        "POST /connect/table_entries/",
        "post",
        lambda c, f, tag: c.leads.create(lead_request(f, tag)),
        leads_tagged,
    ),
    Endpoint(
        "leads.update",
        "PATCH /connect/table_entries/{id}",
        "patch",
        lambda c, f, _t: c.leads.update(
            f.demo.lead_entry_ids[1], {"leadStateId": f.demo.contacted_lead_state_id}
        ),
        _patched,
    ),
    *_lookup_endpoints(),
)
ENDPOINT = {endpoint.name: endpoint for endpoint in ENDPOINTS}


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
