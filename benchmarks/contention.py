"""Recovery under contention: M callers race for one hour on FakeRocketLead (in-process).

Set-up, fresh for every (strategy, M) pair: ``FakeRocketLead(seed=0, latency=0.03)`` (30 ms added
to every answer), the demo's Studio Mitte calendar and its Personal Training type (60 min, a
slot every 30 min), and one added resource, "Open Gym (benchmark)", with ``capacity`` parallel
seats, open 09:00-18:00 every day. Every caller asks for Wed 2027-03-24 15:00-16:00 Berlin (the
demo's ``popular_start``) on the gym. Before the rush the gym's 15:00 hour is filled down to
``K = M / 10`` free seats (the demo's trainers add one more seat there: Ben). The capacity is
chosen so that the +-3 h window (the ``SlotRecovery`` default; 12:00-18:00 of gym time) holds
about twice as many free hour-seats as there are callers: ``capacity = ceil((2M - K) / 5)``.

Strategies, all callers of one (strategy, M) against one shared ``RocketLeadClient`` created for
that pair (``max_connections >= M``, so every caller is in flight at once), as in a voice-agent
service whose calls share one client; so the ``book()`` calls share its ``SeatClaims``. Before
the start signal each client opens one keep-alive connection per caller it serves (``_warm``),
so that all M callers really start together (see ``_warm`` for what happens otherwise):

- ``naive``: the API docs' loop: POST; on 400 "no longer available", refetch availability over
  the same +-3 h window and take the first bookable slot; at most 3 POSTs. It calls
  ``bookings.create`` and ``availability.get`` directly, so it gets no seat claims: that is the
  baseline.
- ``book``: ``client.bookings.book(request, recovery=SlotRecovery())`` (``nearest``, 3 POSTs).
- ``book_spread4``: the same with ``spread=4`` and a per-caller seeded ``random.Random``.
- extras (full runs, or ``--extra``): ``max_attempts=5`` with spread 4/8/16, ``pin_resource``,
  ``book_weighted`` (a ``SlotRecovery.picker`` callable that draws among the 8 nearest
  candidates in proportion to the free seats the availability shows; it cannot see sibling
  claims), and the same ``book()`` / ``spread=4`` with the callers split round-robin over 4
  clients (``_4clients``: 4 service processes) or one client per caller (``_isolated``: no
  sibling claims at all, only ``spread`` can keep losers apart; ``book_spread4_x5_isolated``
  adds ``max_attempts=5``).

Per strategy and M: share of callers booked, POSTs per booked caller (mean/max) and per booking
overall, availability GETs per booking, time from the start signal to the confirmed booking
(p50/p95), distance from the requested start (mean/max minutes), and from ``fake.state``: seats
over capacity (must be 0) and callers holding more than one booking (must be 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta, timezone
from datetime import time as clock_time
from typing import Any

from _stats import percentile

from rocketlead_async import (
    BookingRequest,
    RocketLeadClient,
    Slot,
    SlotRecovery,
    SlotRecoveryExhausted,
    SlotUnavailableError,
)
from rocketlead_async.testing import FakeRocketLead
from rocketlead_async.testing._records import (
    Booking as StoredBooking,
)
from rocketlead_async.testing._records import (
    CalendarMapping,
    Resource,
    ResourceSlot,
    TypeMapping,
)

__all__ = ["STRATEGIES", "Arena", "run"]

LATENCY = 0.03
WINDOW = timedelta(hours=3)
GYM = "Open Gym (benchmark)"


def caller_request(plan: Any, caller: int) -> BookingRequest:
    """What caller ``caller`` asks for under ``plan`` (an :class:`Arena`, or the fleet's copy of
    one in another process): the popular hour on the gym."""
    return BookingRequest(
        calendar_id=plan.calendar_id,
        start=plan.start,
        end=plan.end,
        resource_id=plan.gym_id,
        appointment_type_id=plan.type_id,
        resource_slot_id=plan.window_id,
        name=f"Caller {caller}",
    )


class Arena:
    """One fresh fake with the benchmark's resource added and its popular hour pre-filled."""

    def __init__(self, fake: FakeRocketLead, callers: int) -> None:
        self.fake = fake
        demo = fake.demo
        self.callers = callers
        self.free_at_request = max(1, callers // 10)
        self.capacity = math.ceil((2 * callers - self.free_at_request) / 5)
        self.calendar_id = demo.mitte_calendar_id
        self.type_id = demo.personal_training_type_id
        self.start, self.end = demo.popular_start, demo.popular_end
        self.gym_id, self.window_id = self._add_gym()
        self._prefill(self.capacity - self.free_at_request)

    def _add_gym(self) -> tuple[str, str]:
        state, org = self.fake.state, self.fake.demo.organization_id
        gym = Resource(state.new_id(), org, GYM, "#333333", self.capacity)
        state.add(state.resources, gym)
        state.add(
            state.calendar_mappings,
            CalendarMapping(state.new_id(), org, gym.id, self.calendar_id),
        )
        state.add(state.type_mappings, TypeMapping(state.new_id(), org, self.type_id, gym.id))
        window_id = ""
        for weekday in range(1, 8):
            window = ResourceSlot(
                state.new_id(), org, self.calendar_id, gym.id, weekday,
                clock_time(9), clock_time(18), (self.type_id,),
            )  # fmt: skip
            state.add(state.resource_slots, window)
            if weekday == self.start.isoweekday():
                window_id = window.id
        return gym.id, window_id

    def _prefill(self, seats: int) -> None:
        state, org = self.fake.state, self.fake.demo.organization_id
        for number in range(seats):
            booking = StoredBooking(
                id=state.new_id(),
                organization_id=org,
                calendar_id=self.calendar_id,
                resource_id=self.gym_id,
                appointment_type_id=self.type_id,
                resource_slot_id=self.window_id,
                name=f"Earlier member {number}",
                created_at=datetime(2027, 3, 1, tzinfo=timezone.utc),
                start=self.start.astimezone(timezone.utc),
                end=self.end.astimezone(timezone.utc),
            )
            state.add(state.bookings, booking)

    def request(self, caller: int) -> BookingRequest:
        """What caller ``caller`` asks for: the popular hour on the gym."""
        return caller_request(self, caller)

    def audit(self) -> dict[str, int]:
        """Seats over capacity, and callers holding more than one booking, from the state."""
        state = self.fake.state
        over = sum(self.fake.overbooked().values())
        names = Counter(b.name for b in state.bookings.values() if b.name)
        doubles = sum(1 for name, n in names.items() if name.startswith("Caller ") and n > 1)
        return {"capacity_violations": over, "double_bookings": doubles}


class Result:
    """One caller's outcome."""

    __slots__ = ("booked_start", "error", "posts", "seconds")

    def __init__(self) -> None:
        self.posts = 0
        self.seconds = math.nan
        self.booked_start: datetime | None = None
        self.error: str | None = None


Picker = Callable[[BookingRequest, Sequence[Slot]], "Slot | None"]
Strategy = Callable[[RocketLeadClient, Arena, int, Result], Awaitable[None]]


async def _naive(client: RocketLeadClient, arena: Arena, caller: int, result: Result) -> None:
    request = arena.request(caller)
    for attempt in range(3):
        result.posts += 1
        try:
            booking = await client.bookings.create(request)
        except SlotUnavailableError:
            if attempt == 2:
                result.error = "gave_up"
                return
            availability = await client.availability.get(
                calendar_id=arena.calendar_id,
                appointment_type_id=arena.type_id,
                start=arena.start - WINDOW,
                end=arena.end + WINDOW,
            )
            bookable = availability.bookable()
            if not bookable:
                result.error = "no_slot"
                return
            request = BookingRequest.from_slot(
                bookable[0], calendar_id=arena.calendar_id, name=request.name
            )
        else:
            result.booked_start = booking.start
            return


def seat_weighted(rng: random.Random, best: int = 8) -> Picker:
    """A picker that spreads losers by free seats: among the ``best`` nearest candidates, one
    at random with probability proportional to its free seats (a capacity-1 slot draws one
    caller in ``sum(seats)``, not a quarter of the herd)."""

    def pick(_request: BookingRequest, ranked: Sequence[Slot]) -> Slot | None:
        top = list(ranked[:best])
        if not top:
            return None
        seats = [s.max_parallel_bookings - s.current_bookings for s in top]
        return rng.choices(top, weights=seats)[0]

    return pick


def _book(
    spread: int = 1, max_attempts: int = 3, *, pin: bool = False, weighted: bool = False
) -> Strategy:
    async def strategy(client: RocketLeadClient, arena: Arena, caller: int, result: Result) -> None:
        rng = random.Random(f"rocketlead-bench/{arena.callers}/{caller}")
        recovery = SlotRecovery(
            max_attempts=max_attempts,
            spread=spread,
            rng=rng,
            pin_resource=pin,
            picker=seat_weighted(rng) if weighted else "nearest",
        )
        try:
            outcome = await client.bookings.book(arena.request(caller), recovery=recovery)
        except SlotRecoveryExhausted as exhausted:
            result.posts = len(exhausted.attempts)
            result.error = exhausted.reason
        else:
            result.posts = len(outcome.attempts)
            result.booked_start = outcome.booking.start

    return strategy


STRATEGIES: dict[str, tuple[str, Strategy]] = {
    "naive": ("docs loop: refetch, first available, 3 POSTs", _naive),
    "book": ("book(), nearest, max_attempts=3", _book(spread=1)),
    "book_spread4": ("book(), nearest + spread=4 (seeded), max_attempts=3", _book(spread=4)),
}
EXTRA_STRATEGIES: dict[str, tuple[str, Strategy]] = {
    "book_spread4_x5": ("book(), nearest + spread=4, max_attempts=5", _book(4, 5)),
    "book_spread8_x5": ("book(), nearest + spread=8, max_attempts=5", _book(8, 5)),
    "book_spread16_x5": ("book(), nearest + spread=16, max_attempts=5", _book(16, 5)),
    "book_pinned": ("book(), nearest, pin_resource=True", _book(pin=True)),
    "book_pinned_spread4": ("book(), nearest + spread=4, pin_resource=True", _book(4, pin=True)),
    "book_weighted": ("book(), seat-weighted picker over the 8 nearest", _book(weighted=True)),
    "book_4clients": ("book(), nearest, callers split over 4 clients", _book()),
    "book_spread4_4clients": ("book(), spread=4, callers split over 4 clients", _book(4)),
    "book_isolated": ("book(), nearest, one client per caller", _book()),
    "book_spread4_isolated": ("book(), spread=4, one client per caller", _book(4)),
    "book_spread4_x5_isolated": (
        "book(), spread=4, max_attempts=5, one client per caller",
        _book(4, 5),
    ),
}
CLIENTS: dict[str, int | None] = {
    "book_4clients": 4,
    "book_spread4_4clients": 4,
    "book_isolated": None,
    "book_spread4_isolated": None,
    "book_spread4_x5_isolated": None,
}
"""Strategies whose callers do not all share one client: how many clients (None: one each);
caller ``i`` uses client ``i % n``. Every other strategy: one client for all M callers."""


async def _caller(
    strategy: Strategy,
    client: RocketLeadClient,
    arena: Arena,
    caller: int,
    go: asyncio.Event,
) -> Result:
    result = Result()
    await go.wait()
    started = time.perf_counter()
    try:
        await strategy(client, arena, caller, result)
    except Exception as error:  # reported, never hidden: an error here is a finding
        result.error = type(error).__name__
    if result.booked_start is not None:
        result.seconds = time.perf_counter() - started
    return result


async def rush(name: str, callers: int) -> dict[str, Any]:
    """One strategy, ``callers`` callers, a fresh fake: the metrics of the module docstring."""
    strategy = {**STRATEGIES, **EXTRA_STRATEGIES}[name][1]
    count = CLIENTS.get(name, 1) or callers
    async with FakeRocketLead.running(seed=0, latency=LATENCY) as fake:
        arena = Arena(fake, callers)
        seats = await _seats(fake, arena)
        async with contextlib.AsyncExitStack() as stack:
            clients = [
                await stack.enter_async_context(
                    RocketLeadClient(
                        fake.tokens.write, base_url=fake.url, max_connections=max(100, callers)
                    )
                )
                for _ in range(count)
            ]
            await _warm(clients, arena)
            go = asyncio.Event()
            tasks = [
                asyncio.create_task(_caller(strategy, clients[i % count], arena, i, go))
                for i in range(callers)
            ]
            await asyncio.sleep(0)
            posts_before = fake.request_count("POST /connect/calendar_bookings/")
            gets_before = fake.request_count("GET /connect/availability/")
            wall = time.perf_counter()
            go.set()
            results = await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
            wall = time.perf_counter() - wall
        posts = fake.request_count("POST /connect/calendar_bookings/") - posts_before
        gets = fake.request_count("GET /connect/availability/") - gets_before
        audit = arena.audit()
    booked = [r for r in results if r.booked_start is not None]
    minutes = [abs(r.booked_start - arena.start).total_seconds() / 60 for r in booked]  # type: ignore[operator]
    seconds = [r.seconds for r in booked]
    return {
        "strategy": name,
        "callers": callers,
        "clients": count,
        "setup": {
            "gym_capacity": arena.capacity,
            "free_seats_at_requested_hour": seats["at_request"],
            "free_seats_on_the_hour_in_window": seats["window"],
        },
        "booked": len(booked),
        "booked_share": len(booked) / callers,
        "posts_per_booked_caller_mean": _mean([r.posts for r in booked]),
        "posts_per_booked_caller_max": max((r.posts for r in booked), default=0),
        "posts_per_booking": posts / len(booked) if booked else math.nan,
        "gets_per_booking": gets / len(booked) if booked else math.nan,
        "posts_total": posts,
        "gets_total": gets,
        "seconds_to_booking_p50": percentile(seconds, 50),
        "seconds_to_booking_p95": percentile(seconds, 95),
        "minutes_from_request_mean": _mean(minutes),
        "minutes_from_request_max": max(minutes, default=math.nan),
        "not_booked": dict(Counter(r.error or "?" for r in results if r.booked_start is None)),
        "wall_s": wall,
        **audit,
    }


async def _warm(clients: list[RocketLeadClient], arena: Arena) -> None:
    """Open one keep-alive connection per caller before the start signal (concurrent GETs of
    the calendar). Otherwise M > 128 callers connecting at once overflow the fake's listen
    queue (aiohttp's backlog, 128): the dropped SYNs are resent after 1 s and those callers
    join the rush a second late, which makes the outcome at M = 200 vary run to run."""
    per_client = math.ceil(arena.callers / len(clients))
    await asyncio.gather(
        *(client.calendars.get(arena.calendar_id) for client in clients for _ in range(per_client))
    )


async def _seats(fake: FakeRocketLead, arena: Arena) -> dict[str, int]:
    """Free seats at the requested start, and in the +-3 h window the free seats of the slots
    that start on the hour (disjoint hours, any resource): how many callers fit at most."""
    async with RocketLeadClient(fake.tokens.read, base_url=fake.url) as client:
        availability = await client.availability.get(
            calendar_id=arena.calendar_id,
            appointment_type_id=arena.type_id,
            start=arena.start - WINDOW,
            end=arena.end + WINDOW,
        )
    free = {s.key: s.max_parallel_bookings - s.current_bookings for s in availability.bookable()}
    at_request = sum(n for (_r, start, _e), n in free.items() if start == arena.start)
    on_the_hour = sum(n for (_r, start, _e), n in free.items() if start.minute == 0)
    return {"at_request": at_request, "window": on_the_hour}


def _mean(values: list[float] | list[int]) -> float:
    return sum(values) / len(values) if values else math.nan


async def run(*, quick: bool, extra: bool = False) -> dict[str, Any]:
    """Every strategy for every M (20 and 50 quick; 20, 50 and 200 full), one fresh fake each."""
    sizes = (20, 50) if quick else (20, 50, 200)
    names = list(STRATEGIES) + (list(EXTRA_STRATEGIES) if extra else [])
    rows = []
    for callers in sizes:
        for name in names:
            rows.append(await rush(name, callers))
    return {
        "latency_s": LATENCY,
        "strategies": {n: d for n, (d, _s) in {**STRATEGIES, **EXTRA_STRATEGIES}.items()},
        "rows": rows,
    }
