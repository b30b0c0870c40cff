"""``rocketlead demo --scene barge-in``: callers who interrupt, LLMs that repeat themselves.

Every caller's agent books through its own :class:`BookingDesk`. Their LLMs often emit the same
``book_slot`` call two or three times, and their callers talk over the agent mid-booking, which
makes the voice framework cancel the running tool: before the POST, while it is on the wire,
while recovery looks for another slot, or while the agent is saying "you're booked". A caller
who barged in then asks for another time. The report shows, per caller, what the agent heard and
what the server holds, and checks the two promises: no caller holds two bookings, and no booking
exists that nobody was told about.

No token or network is needed: the fake serves on an ephemeral loopback port.
"""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Awaitable, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any, Literal

import attrs

from ._client import RocketLeadClient
from ._demo import capacity_violations, check_callers
from ._table import render_table
from .desk import BookingDesk, DeskResult, OfferedSlot
from .models import Calendar
from .recovery import RecoveryEvent, RecoveryEventKind, SlotRecovery
from .testing import FakeRocketLead

__all__ = ["BargeIn", "CallerLog", "play", "render_barge_in", "run_barge_in", "summarize"]

BargeIn = Literal["none", "before_post", "post_in_flight", "recovering", "booked_hook"]
BARGE_INS: tuple[BargeIn, ...] = (
    "none",
    "before_post",
    "post_in_flight",
    "recovering",
    "booked_hook",
)
"""When a caller talks over the agent: never, as the booking POST is about to go, some loop
turns into the POST, after the slot was taken (recovery at work), or while the agent is
confirming the booking."""

LATENCY = 0.004
"""Seconds the fake adds to every answer, so a POST is on the wire for a while."""

BUDGET = 8.0
DETAIL_ROWS = 30
_TOOL_CANCELLED = "CANCELLED"


@attrs.define
class CallerLog:
    """One caller: the script their call follows and what came of it."""

    index: int
    name: str
    barge_in: BargeIn
    copies: int  # how many times the LLM emits the first book_slot call
    ticks: int  # loop turns between the trigger and the interruption
    heard: list[str] = attrs.field(factory=list)  # what the agent heard, in order
    desk: BookingDesk | None = None
    calls: int = 0
    cancelled: int = 0
    late: list[DeskResult] = attrs.field(factory=list)
    settled: asyncio.Event = attrs.field(factory=asyncio.Event)  # a late result arrived

    def tell(self, what: str) -> None:
        self.heard.append(what)


def _short(result: DeskResult, zone: tzinfo) -> str:
    """A result as the table shows it: status and, for a booking, its local time."""
    if result.booking is not None:
        return f"{result.status} {result.booking.start.astimezone(zone):%H:%M}"
    if result.reason and result.status in ("failed", "alternatives"):
        return f"{result.status} ({result.reason})"
    return result.status


_TRIGGERS = {
    "before_post": RecoveryEventKind.ATTEMPT,
    "post_in_flight": RecoveryEventKind.ATTEMPT,
    "recovering": RecoveryEventKind.SLOT_TAKEN,
    "booked_hook": RecoveryEventKind.BOOKED,
}


class _Interrupter:
    """The voice framework of one caller: cancels the running tool calls on barge-in."""

    def __init__(self, log: CallerLog) -> None:
        self.log = log
        self.calls: list[asyncio.Task[DeskResult]] = []
        self.fired = False
        self._timer: asyncio.Future[None] | None = None

    def on_event(self, event: RecoveryEvent) -> Awaitable[None] | None:
        barge_in = self.log.barge_in
        if self.fired or event.kind is not _TRIGGERS.get(barge_in):
            return None
        self.fired = True
        if barge_in in ("before_post", "booked_hook"):
            # The agent is speaking ("let me book that", "you're booked") and the caller
            # talks over it: the hook is still awaited when the tools are cancelled.
            return self._after_ticks()
        # Meanwhile the booking goes on: the POST is on the wire, or recovery refetches.
        self._timer = asyncio.ensure_future(self._after_ticks())
        return None

    async def _after_ticks(self) -> None:
        for _ in range(self.log.ticks):
            await asyncio.sleep(0)
        self.interrupt()
        await asyncio.sleep(0)

    def interrupt(self) -> None:
        for call in self.calls:
            call.cancel()


@attrs.frozen
class _Scene:
    """What every caller wants: the popular hour, and the window offers come from."""

    popular: datetime
    window: tuple[datetime, datetime]
    zone: tzinfo


async def _caller(
    desk: BookingDesk, log: CallerLog, frame: _Interrupter, rng: random.Random, scene: _Scene
) -> None:
    """One call: offers, the (repeated) book_slot tool call, maybe a barge-in and a new wish."""
    zone = scene.zone
    offers = await desk.offer(*scene.window)
    if not offers:
        log.tell("no offers")
        return
    popular = next((o for o in offers if o.slot.start == scene.popular), offers[-1])
    wanted = popular if rng.random() < 0.7 else rng.choice(offers)

    async def tool_call(slot: OfferedSlot) -> DeskResult:
        try:
            return await desk.book(
                slot.id,
                name=log.name,
                on_late=lambda result: _heard_late(log, result, zone),
            )
        except asyncio.CancelledError:
            log.cancelled += 1
            log.tell(_TOOL_CANCELLED)  # what the framework hands the LLM
            raise

    for copy in range(log.copies):
        if copy:
            for _ in range(rng.randint(0, 3)):  # the LLM's repeat comes a moment later
                await asyncio.sleep(0)
        frame.calls.append(asyncio.ensure_future(tool_call(wanted)))
    log.calls += log.copies
    results = await asyncio.gather(*frame.calls, return_exceptions=True)
    for result in results:
        if isinstance(result, DeskResult):
            log.tell(_short(result, zone))
        elif not isinstance(result, asyncio.CancelledError):
            raise result
    if log.cancelled:
        # The caller talked over the agent: "actually, can we do another time?"
        others = [offer for offer in offers if offer.id != wanted.id] or offers
        again = rng.choice(others)
        for _ in range(3):
            log.calls += 1
            result = await tool_call(again)
            log.tell(_short(result, zone))
            if result.status != "in_progress":
                break
            # "Still working on it": the LLM calls again once the earlier booking settled.
            await log.settled.wait()


def _heard_late(log: CallerLog, result: DeskResult, zone: tzinfo) -> None:
    log.late.append(result)
    log.settled.set()
    log.tell(f"late: {_short(result, zone)}")


async def play(
    client: RocketLeadClient, fake: FakeRocketLead, *, callers: int, seed: int
) -> list[CallerLog]:
    """Play the scene for ``callers`` callers against ``fake`` (seeded); every desk is closed
    when this returns, so every booking has settled and been told."""
    check_callers(callers)
    demo = fake.demo
    calendar: Calendar = await client.calendars.get(demo.mitte_calendar_id)
    scene = _Scene(
        demo.popular_start,
        (demo.popular_start - timedelta(hours=1), demo.popular_end + timedelta(hours=1)),
        calendar.zoneinfo,
    )
    rng = random.Random(f"rocketlead-demo/barge-in/{seed}")
    logs = [
        CallerLog(
            index,
            f"Caller {index:03d}",
            barge_in=rng.choice(BARGE_INS),
            copies=rng.choice((1, 1, 2, 3)),
            ticks=rng.randint(1, 30),
        )
        for index in range(1, callers + 1)
    ]

    async def one(log: CallerLog) -> None:
        frame = _Interrupter(log)
        desk = BookingDesk(
            client,
            calendar=calendar,
            appointment_type_id=demo.trial_session_type_id,
            budget=BUDGET,
            recovery=SlotRecovery(
                window=timedelta(hours=2),
                spread=3,
                rng=random.Random(f"{seed}/{log.index}"),
                on_event=frame.on_event,
            ),
        )
        log.desk = desk
        try:
            llm = random.Random(f"{seed}/{log.index}/llm")
            await _caller(desk, log, frame, llm, scene)
        finally:
            await desk.aclose()

    await asyncio.gather(*(one(log) for log in logs))
    return logs


def summarize(fake: FakeRocketLead, logs: Sequence[CallerLog], seed: int) -> dict[str, Any]:
    """The scene's report, checked against what the fake holds."""
    zone = fake.demo.popular_start.tzinfo
    held: dict[str, list[Any]] = {}
    for booking in fake.state.bookings.values():
        held.setdefault(booking.name or "", []).append(booking)
    statuses: Counter[str] = Counter()
    details = []
    double = orphans = abandoned = 0
    for log in logs:
        outcomes = log.desk.outcomes if log.desk is not None else ()
        told = {o.booking.id for o in outcomes if o.booking is not None}
        may_exist = any(o.status == "unknown" for o in outcomes)
        server = held.get(log.name, [])
        double += len(server) > 1
        orphans += sum(1 for b in server if b.id not in told and not may_exist)
        abandoned += sum(o.abandoned for o in outcomes)
        statuses.update(o.status for o in outcomes)
        details.append(
            {
                "caller": log.index,
                "barge_in": log.barge_in,
                "tool_calls": log.calls,
                "heard": log.heard,
                "server": [f"{b.start.astimezone(zone):%a %H:%M}" for b in server],
            }
        )
    return {
        "scene": "barge-in",
        "callers": len(logs),
        "seed": seed,
        "tool_calls": sum(log.calls for log in logs),
        "repeated_calls": sum(log.copies - 1 for log in logs),
        "cancelled_calls": sum(log.cancelled for log in logs),
        "told_late": sum(len(log.late) for log in logs),
        "booking_posts": fake.request_count("POST /connect/calendar_bookings/"),
        "settled": dict(sorted(statuses.items())),
        "abandoned": abandoned,
        "server_bookings": sum(len(held.get(log.name, [])) for log in logs),
        "double_bookings": double,
        "orphans": orphans,
        "capacity_violations": capacity_violations(fake),
        "callers_detail": details,
    }


def render_barge_in(report: dict[str, Any]) -> str:
    """The human report of :func:`summarize`."""
    n = report["callers"]
    parts = [
        f"{n} caller(s) book through a BookingDesk each. Their LLMs repeat book_slot calls; "
        "callers barge in",
        "(the framework cancels the running tool) before the POST, while it is on the wire, "
        "during recovery",
        "or while the agent confirms; whoever barged in then asks for another time.",
        "",
    ]
    if n <= DETAIL_ROWS:
        rows = [
            (
                c["caller"],
                c["barge_in"],
                c["tool_calls"],
                "; ".join(c["heard"]),
                ", ".join(c["server"]) or "-",
            )
            for c in report["callers_detail"]
        ]
        parts += [render_table(["#", "barge-in", "calls", "agent heard", "server holds"], rows), ""]
    else:
        parts += [f"(per-caller detail for {n} callers: add --json)", ""]
    numbers = [
        ("book_slot tool calls (repeats)", f"{report['tool_calls']} ({report['repeated_calls']})"),
        ("tool calls cancelled by a barge-in", report["cancelled_calls"]),
        ("booking POSTs sent", report["booking_posts"]),
        ("settled bookings by status", ", ".join(f"{v} {k}" for k, v in report["settled"].items())),
        ("abandoned (caller gone), told later", f"{report['abandoned']}, {report['told_late']}"),
        ("bookings the server holds", report["server_bookings"]),
    ]
    parts += [render_table(["measure", "value"], numbers), ""]
    verdict = "ok" if _healthy(report) else "BROKEN"
    parts.append(
        f"invariants {verdict}: {report['double_bookings']} caller(s) with two bookings, "
        f"{report['orphans']} booking(s) nobody was told about, "
        f"{report['capacity_violations']} capacity violation(s)"
    )
    return "\n".join(parts)


def _healthy(report: dict[str, Any]) -> bool:
    return not (report["double_bookings"] or report["orphans"] or report["capacity_violations"])


async def run_barge_in(*, callers: int = 20, seed: int = 0, as_json: bool = False) -> int:
    """Play the scene, print the report and return the exit code (1 if an invariant broke)."""
    check_callers(callers)
    async with FakeRocketLead.running(seed=seed, latency=LATENCY) as fake:
        async with RocketLeadClient(token=fake.tokens.write, base_url=fake.url) as client:
            logs = await play(client, fake, callers=callers, seed=seed)
        report = summarize(fake, logs, seed)
    print(json.dumps(report, indent=2, ensure_ascii=False) if as_json else render_barge_in(report))
    return 0 if _healthy(report) else 1
