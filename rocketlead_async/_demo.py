"""``rocketlead demo``: a voice-agent booking rush against an in-process FakeRocketLead.

Many callers phone in at once and all want the same popular hour (a Trial Session at Studio
Mitte, Wed 2027-03-24 15:00 Berlin), where one trainer seat is left. Each caller's agent fetches
availability, creates a lead and books with :class:`SlotRecovery`; the losers of the slot-fill
race are moved to nearby free slots or given alternatives to offer. The report shows who got what
and checks the fake's state afterwards: no resource over capacity, no lead booked twice.

No token or network is needed: the fake serves on an ephemeral loopback port.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, TextIO
from zoneinfo import ZoneInfo

import attrs

from ._client import RocketLeadClient
from ._table import render_table
from .errors import RocketLeadError, SlotRecoveryExhausted
from .models import Booking, BookingRequest, LeadRequest, Slot
from .recovery import RecoveryEvent, RecoveryEventKind, SlotRecovery
from .testing import FakeRocketLead

__all__ = [
    "MAX_CALLERS",
    "capacity_violations",
    "check_callers",
    "double_bookings",
    "render_report",
    "run_demo",
]

MAX_CALLERS = 1000
"""More callers than this only measure the machine, not the SDK."""

LATENCY = 0.02
"""Seconds the fake adds to every answer, so the timings look like a network."""

SEARCH = timedelta(hours=3)
"""How far from the popular hour each agent looks, on both sides."""

ATTEMPTS = 3
"""Booking POSTs per caller, the first included (the docs' own example also stops at 3)."""

SPREAD = 5
"""Recovering callers pick at random among the 5 best alternatives instead of all charging the
same next slot."""

DETAIL_ROWS = 30
"""Above this many callers the per-caller table is left to ``--json``."""

# Monday morning of the demo week, before any seeded slot: createdAt stamps and the status of the
# scheduled hasStarted/hasEnded events then do not depend on the day the demo runs.
_FAKE_NOW = datetime(2027, 3, 22, 8, 0, tzinfo=timezone.utc)
_FIRST_NAMES = ("Lena", "Jonas", "Mia", "Paul", "Emma", "Finn", "Hannah", "Elias", "Sofia", "Noah")
_LAST_NAMES = ("Becker", "Hoffmann", "Schulz", "Koch", "Richter", "Klein", "Wolf", "Neumann")
_PROGRESS_INTERVAL = 0.05

Outcome = Literal["first_try", "recovered", "gave_up", "error"]
_OUTCOME_LABELS: dict[Outcome, str] = {
    "first_try": "booked",
    "recovered": "recovered",
    "gave_up": "gave up",
    "error": "error",
}


def check_callers(callers: object) -> int:
    """``callers`` if it is an int in 1..MAX_CALLERS; ``ValueError`` otherwise."""
    if isinstance(callers, bool) or not isinstance(callers, int):
        raise ValueError(f"callers must be an int, not {type(callers).__name__}")
    if not 1 <= callers <= MAX_CALLERS:
        raise ValueError(f"callers must be between 1 and {MAX_CALLERS}, not {callers}")
    return callers


@attrs.define
class CallerResult:
    """What happened to one simulated caller."""

    index: int
    name: str
    outcome: Outcome | None = None
    booking: Booking | None = None
    resource: str | None = None
    posts: int = 0
    seconds: float | None = None
    reason: str | None = None
    alternatives: Sequence[Slot] = ()
    error: str | None = None


@attrs.define
class _Progress:
    """Live counts for the stderr progress line."""

    callers: int
    booked: int = 0
    recovering: int = 0
    gave_up: int = 0

    def tracker(self) -> Callable[[RecoveryEvent], None]:
        """An ``on_event`` hook for one caller that keeps these counts."""
        raced = False

        def on_event(event: RecoveryEvent) -> None:
            nonlocal raced
            if event.kind is RecoveryEventKind.SLOT_TAKEN and not raced:
                raced = True
                self.recovering += 1
            elif event.kind in (RecoveryEventKind.BOOKED, RecoveryEventKind.GAVE_UP):
                if raced:
                    self.recovering -= 1
                if event.kind is RecoveryEventKind.BOOKED:
                    self.booked += 1
                else:
                    self.gave_up += 1

        return on_event

    def line(self) -> str:
        waiting = self.callers - self.booked - self.recovering - self.gave_up
        return (
            f"demo: booked {self.booked:>4} | recovering {self.recovering:>4} | "
            f"gave up {self.gave_up:>4} | on the line {waiting:>4}"
        )


@attrs.frozen
class _Setup:
    """The ids an agent is configured with, plus what it looked up once before the rush."""

    calendar_id: str
    appointment_type_id: str
    table_id: str
    lead_state_id: str
    zone: ZoneInfo
    popular_start: datetime
    popular_end: datetime
    resource_names: dict[str, str]


async def _lookup(client: RocketLeadClient, fake: FakeRocketLead) -> _Setup:
    """One round of lookups, as the docs advise (cache them: they rarely change)."""
    demo = fake.demo
    calendar, table, resources = await asyncio.gather(
        client.calendars.get(demo.mitte_calendar_id),
        client.tables.get(demo.table_id),
        client.resources.list(),
    )
    state = table.default_lead_state
    return _Setup(
        calendar_id=calendar.id,
        appointment_type_id=demo.trial_session_type_id,
        table_id=table.id,
        lead_state_id=state.id if state is not None else demo.default_lead_state_id,
        zone=calendar.zoneinfo,
        popular_start=demo.popular_start,
        popular_end=demo.popular_end,
        resource_names={r.id: r.name or r.id for r in resources},
    )


def _caller_names(count: int, seed: int) -> list[str]:
    """``count`` distinct names (numbered once the 80 combinations run out), seeded."""
    pairs = [f"{first} {last}" for first in _FIRST_NAMES for last in _LAST_NAMES]
    random.Random(f"rocketlead-demo/{seed}/names").shuffle(pairs)
    rounds = [""] + [f" ({n})" for n in range(2, count // len(pairs) + 2)]
    return [pairs[i % len(pairs)] + rounds[i // len(pairs)] for i in range(count)]


async def _caller(
    client: RocketLeadClient,
    setup: _Setup,
    result: CallerResult,
    progress: _Progress,
    seed: int,
) -> None:
    """One phone call: availability, lead, race-safe booking."""
    started = time.perf_counter()
    availability = await client.availability.get(
        calendar_id=setup.calendar_id,
        appointment_type_id=setup.appointment_type_id,
        start=setup.popular_start - SEARCH,
        end=setup.popular_end + SEARCH,
    )
    at_popular = [s for s in availability.slots if s.start == setup.popular_start]
    if not at_popular:
        raise RuntimeError("the fake offers no slot at the popular hour")
    # Everyone wants that hour. A late caller whose fetch already shows it full asks anyway:
    # the POST's "no longer available" then takes the same recovery path as a lost race.
    slot = next((s for s in at_popular if s.has_room), at_popular[0])
    first, _, last = result.name.partition(" ")
    lead = await client.leads.create(
        LeadRequest(
            table_id=setup.table_id,
            data={
                "firstName": {"value": first},
                "lastName": {"value": last},
                "phone": {"value": f"+49 30 5550{result.index:04d}"},
            },
            lead_state_id=setup.lead_state_id,
        )
    )
    recovery = SlotRecovery(
        max_attempts=ATTEMPTS,
        window=SEARCH,
        spread=SPREAD,
        rng=random.Random(f"rocketlead-demo/{seed}/{result.index}"),
        on_event=progress.tracker(),
    )
    request = BookingRequest.from_slot(
        slot, calendar_id=setup.calendar_id, entry_id=lead.id, name=result.name
    )
    try:
        outcome = await client.bookings.book(request, recovery=recovery)
    except SlotRecoveryExhausted as exhausted:
        result.outcome, result.reason = "gave_up", exhausted.reason
        result.posts, result.alternatives = len(exhausted.attempts), exhausted.alternatives
        return
    booking = outcome.booking
    result.outcome = "recovered" if outcome.recovered else "first_try"
    result.booking, result.posts = booking, len(outcome.attempts)
    result.resource = setup.resource_names.get(booking.resource_id or "", booking.resource_id)
    result.seconds = time.perf_counter() - started


async def _guarded(
    client: RocketLeadClient, setup: _Setup, result: CallerResult, progress: _Progress, seed: int
) -> None:
    # One failing caller must not hide what happened to the others: the report names the error
    # and the exit code turns non-zero.
    try:
        await _caller(client, setup, result, progress, seed)
    except RocketLeadError as exc:
        result.outcome, result.error = "error", str(exc)
    except Exception as exc:
        result.outcome, result.error = "error", f"{type(exc).__name__}: {exc}"


async def _show_progress(progress: _Progress, stream: TextIO) -> None:
    try:
        while True:
            stream.write("\r" + progress.line())
            stream.flush()
            await asyncio.sleep(_PROGRESS_INTERVAL)
    finally:
        stream.write("\r" + progress.line() + "\n")
        stream.flush()


def capacity_violations(fake: FakeRocketLead) -> int:
    """Seats over capacity, summed over the resources the fake finds overbooked."""
    return sum(fake.overbooked().values())


def double_bookings(fake: FakeRocketLead) -> int:
    """Leads that hold more than one booking."""
    per_lead = Counter(
        b.table_entry_id for b in fake.state.bookings.values() if b.table_entry_id is not None
    )
    # Every linked lead in the fake is one of ours or a seeded one; a seeded lead holding two
    # bookings would be a fake bug worth flagging just the same.
    return sum(1 for count in per_lead.values() if count > 1)


def _percentile_ms(seconds: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile in milliseconds; ``None`` without data."""
    if not seconds:
        return None
    ordered = sorted(seconds)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return round(ordered[rank - 1] * 1000, 1)


def _event_counts(fake: FakeRocketLead) -> dict[str, dict[str, int]]:
    counts: dict[str, Counter[str]] = {}
    for event in fake.events:
        counts.setdefault(event.name, Counter())[event.status] += 1
    return {name: dict(sorted(by_status.items())) for name, by_status in sorted(counts.items())}


def _offered(slots: Sequence[Slot], zone: ZoneInfo) -> list[str]:
    """Distinct local start times of ranked alternatives, best first."""
    return list(dict.fromkeys(slot.start.astimezone(zone).isoformat() for slot in slots))


def _hhmm(iso: str) -> str:
    return iso[11:16]


def _summary(
    fake: FakeRocketLead,
    setup: _Setup,
    results: Sequence[CallerResult],
    seed: int,
    wall: float,
) -> dict[str, Any]:
    """The demo's machine-readable report (the ``--json`` object)."""
    by_outcome = Counter(r.outcome for r in results)
    booked_seconds = [r.seconds for r in results if r.seconds is not None]
    zone = setup.zone
    return {
        "callers": len(results),
        "seed": seed,
        "wanted": setup.popular_start.astimezone(zone).isoformat(),
        "timezone": zone.key,
        "booked_first_try": by_outcome["first_try"],
        "recovered": by_outcome["recovered"],
        "gave_up": by_outcome["gave_up"],
        "errors": by_outcome["error"],
        "posts": sum(r.posts for r in results),
        "requests": dict(sorted(Counter(r.key for r in fake.requests).items())),
        "p50_ms": _percentile_ms(booked_seconds, 50),
        "p95_ms": _percentile_ms(booked_seconds, 95),
        "wall_ms": round(wall * 1000, 1),
        "events": _event_counts(fake),
        "capacity_violations": capacity_violations(fake),
        "double_bookings": double_bookings(fake),
        "callers_detail": [
            {
                "caller": r.index,
                "name": r.name,
                "outcome": r.outcome,
                "start": r.booking.start.astimezone(zone).isoformat() if r.booking else None,
                "resource": r.resource,
                "posts": r.posts,
                "ms": None if r.seconds is None else round(r.seconds * 1000, 1),
                "gave_up_reason": r.reason,
                "alternatives": _offered(r.alternatives, zone),
                "error": r.error,
            }
            for r in results
        ],
    }


def _detail_row(caller: dict[str, Any]) -> tuple[object, ...]:
    """One line of the per-caller table, from the caller's ``callers_detail`` entry."""
    if caller["start"] is not None:
        when = datetime.fromisoformat(caller["start"]).strftime("%a %H:%M")
    elif caller["outcome"] == "gave_up":
        offered = ", ".join(_hhmm(start) for start in caller["alternatives"][:3])
        when = f"offered {offered}" if offered else "nothing free nearby"
    else:
        when = caller["error"] or ""
    ms = "" if caller["ms"] is None else f"{caller['ms']:.0f}"
    label = _OUTCOME_LABELS.get(caller["outcome"], "?")
    return (caller["caller"], caller["name"], label, when, caller["resource"], caller["posts"], ms)


def render_report(report: dict[str, Any]) -> str:
    """The human report of a :func:`_summary`: outcomes, flow events, callers, invariants."""
    n = report["callers"]
    wanted = datetime.fromisoformat(report["wanted"]).strftime("%a %Y-%m-%d %H:%M")
    details = report["callers_detail"]
    offered = sorted({s for c in details if c["outcome"] == "gave_up" for s in c["alternatives"]})
    window = f"±{SEARCH.total_seconds() / 3600:g} h"
    gave_up = (
        f"gave up, offered e.g. {', '.join(_hhmm(s) for s in offered[:3])}"
        if offered
        else f"gave up, nothing free left within {window}"
    )

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f} ms"

    outcomes: list[tuple[object, object]] = [
        ("booked on the first try", report["booked_first_try"]),
        ("lost the race, recovered to another slot", report["recovered"]),
        (gave_up, report["gave_up"]),
    ]
    if report["errors"]:
        outcomes.append(("failed with an error", report["errors"]))
    requests = report["requests"]
    by_kind = {
        kind: sum(count for key, count in requests.items() if key.startswith(prefix))
        for kind, prefix in (
            ("availability", "GET /connect/availability/"),
            ("lead", "POST /connect/table_entries/"),
            ("booking", "POST /connect/calendar_bookings/"),
        )
    }
    kinds = ", ".join(f"{count} {kind}" for kind, count in by_kind.items())
    lookups = sum(requests.values()) - sum(by_kind.values())
    numbers = [
        ("booking POSTs (attempts)", f"{report['posts']} ({report['posts'] / n:.1f} per caller)"),
        ("API requests in all", f"{sum(requests.values())} ({kinds}, {lookups} lookups)"),
        ("first request to confirmed booking, p50", ms(report["p50_ms"])),
        ("first request to confirmed booking, p95", ms(report["p95_ms"])),
        ("wall time, all callers", ms(report["wall_ms"])),
    ]
    events = [
        (name, ", ".join(f"{count} {status}" for status, count in by_status.items()))
        for name, by_status in report["events"].items()
    ]
    parts = [
        f"{n} voice-agent caller(s) want a Trial Session at Studio Mitte, {wanted} "
        f"({report['timezone']}),",
        "where one trainer seat is left. Every agent fetches availability, creates a lead and",
        f"books with SlotRecovery (nearest free slot within {window}, spread {SPREAD}, "
        f"{ATTEMPTS} attempts).",
        "",
        render_table(["outcome", "callers"], outcomes),
        "",
        render_table(["measure", "value"], numbers),
        "",
        render_table(["flow event", "count"], events),
        "",
    ]
    if n <= DETAIL_ROWS:
        headers = ["#", "caller", "outcome", "booked (local)", "trainer", "POSTs", "ms"]
        parts += [render_table(headers, [_detail_row(c) for c in details]), ""]
    else:
        parts += [f"(per-caller detail for {n} callers: add --json)", ""]
    verdict = "ok" if _healthy(report) else "BROKEN"
    parts.append(
        f"invariants {verdict}: {report['capacity_violations']} capacity violation(s), "
        f"{report['double_bookings']} caller(s) holding two bookings"
    )
    return "\n".join(parts)


def _healthy(report: dict[str, Any]) -> bool:
    return not (report["capacity_violations"] or report["double_bookings"] or report["errors"])


async def run_demo(*, callers: int = 20, seed: int = 0, as_json: bool = False) -> int:
    """Play the booking rush, print the report (human or JSON) and return the exit code:
    0, or 1 if an invariant broke (capacity exceeded, a caller booked twice, a caller failed)."""
    check_callers(callers)
    names = _caller_names(callers, seed)
    results = [CallerResult(i, name) for i, name in enumerate(names, start=1)]
    progress = _Progress(callers)
    async with FakeRocketLead.running(seed=seed, latency=LATENCY, now=lambda: _FAKE_NOW) as fake:
        async with RocketLeadClient(token=fake.tokens.admin, base_url=fake.url) as client:
            setup = await _lookup(client, fake)
            live = sys.stderr.isatty() and not as_json
            shower = asyncio.create_task(_show_progress(progress, sys.stderr)) if live else None
            started = time.perf_counter()
            try:
                await asyncio.gather(*(_guarded(client, setup, r, progress, seed) for r in results))
            finally:
                if shower is not None:
                    shower.cancel()
                    await asyncio.gather(shower, return_exceptions=True)
            wall = time.perf_counter() - started
        report = _summary(fake, setup, results, seed, wall)
    if as_json:
        print(json.dumps(report, indent=2, ensure_ascii=False))
    else:
        print(render_report(report))
    return 0 if _healthy(report) else 1
