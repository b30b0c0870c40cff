"""Telling the application about writes whose outcome the caller did not get.

One :class:`OutcomeReporter` per client. It calls the ``on_outcome_unknown`` hook exactly once
per unknown POST, never awaiting it inline (an async hook runs as a task the reporter tracks,
so a slow hook never stretches the call's budget and a cancelled caller never cuts it off),
and :meth:`OutcomeReporter.drain` — run by ``aclose()`` — waits until no tracked task is pending,
including tasks created while it waits. Hook errors are logged, never raised into the SDK.

It is also the one home for "a booking's fate is delivered exactly once": a booking POST
whose caller was cancelled after it was written is answered later, and :meth:`late` hands
what was learned (a booking or a definite error) to ``on_late_outcome`` as a
:class:`LateOutcome`; an answer that cannot be learned stays an unknown outcome for
``on_outcome_unknown``. A result goes to one hook, never both. Without an ``on_late_outcome``
hook a booking learned after the caller left is reported as a :class:`BookingOutcomeUnknown`,
so the application is always told. :meth:`spawn` runs and tracks any coroutine that must
outlive its call (the late read itself), :meth:`call_hook` delivers to any hook.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import attrs

from ._wait import settle
from .errors import BookingOutcomeUnknown, OutcomeUnknownError, RocketLeadError
from .models import Attempt, Booking, BookingRequest

__all__ = ["LateOutcome", "LateOutcomeHook", "OutcomeReporter", "OutcomeUnknownHook"]

T = TypeVar("T")

logger = logging.getLogger("rocketlead_async")

OutcomeUnknownHook = Callable[[OutcomeUnknownError], "Awaitable[None] | None"]
LateOutcomeHook = Callable[["LateOutcome"], "Awaitable[None] | None"]

_BOOKINGS = "/connect/calendar_bookings/"


@attrs.frozen
class LateOutcome:
    """What became of a booking whose caller was cancelled after its POST was written (a
    barge-in, a framework's tool timeout, ``asyncio.wait_for``), learned after the caller left.

    Exactly one of ``booking`` (the booking exists) and ``error`` (a definite failure, e.g.
    :class:`SlotUnavailableError`: nothing was booked) is set. ``request`` is the POST
    concerned, ``attempts`` the booking's history, this POST last. Delivered once to
    ``RocketLeadClient(on_late_outcome=...)``.
    """

    request: BookingRequest
    booking: Booking | None
    error: RocketLeadError | None = attrs.field(default=None, eq=False)
    attempts: tuple[Attempt, ...] = attrs.field(default=(), eq=False)


class OutcomeReporter:
    """Delivers outcomes to the application's hooks and keeps track of what is still running."""

    __slots__ = ("_tasks", "on_late_outcome", "on_outcome_unknown")

    def __init__(
        self,
        on_outcome_unknown: OutcomeUnknownHook | None = None,
        on_late_outcome: LateOutcomeHook | None = None,
    ) -> None:
        self.on_outcome_unknown = on_outcome_unknown
        self.on_late_outcome = on_late_outcome
        self._tasks: set[asyncio.Task[Any]] = set()

    def __repr__(self) -> str:
        return f"<OutcomeReporter pending={len(self._tasks)}>"

    @property
    def pending(self) -> int:
        """Tracked tasks not yet finished."""
        return len(self._tasks)

    @property
    def unknown_destination(self) -> str:
        """Where an unknown outcome goes, for log lines (an application without the hook must
        not read that someone was told)."""
        if self.on_outcome_unknown is None:
            return "no on_outcome_unknown hook is set"
        return "reported to on_outcome_unknown"

    def unknown(self, error: OutcomeUnknownError) -> None:
        """Report ``error`` to ``on_outcome_unknown`` (once: the caller calls this once)."""
        self.call_hook(self.on_outcome_unknown, error, "on_outcome_unknown")

    def late(self, outcome: LateOutcome) -> None:
        """Deliver what was learned about a booking after its caller left (once: the caller
        calls this once). Without an ``on_late_outcome`` hook, a booking that exists goes to
        ``on_outcome_unknown`` as a :class:`BookingOutcomeUnknown`; a definite failure booked
        nothing and needs no report."""
        if self.on_late_outcome is not None:
            self.call_hook(self.on_late_outcome, outcome, "on_late_outcome")
            return
        if outcome.booking is None:
            return
        unknown = BookingOutcomeUnknown(
            f"the calling task was cancelled; booking {outcome.booking.id} exists",
            method="POST",
            path=_BOOKINGS,
            request=outcome.request,
        )
        unknown.attempts = outcome.attempts
        logger.warning(
            "POST %s: booked after the caller was cancelled; %s",
            _BOOKINGS,
            self.unknown_destination,
        )
        self.unknown(unknown)

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
        """Wait until no tracked task is pending, including ones created meanwhile (a hook
        that closes the client itself is not waited for: it would wait for itself)."""
        await settle(self._tasks)


async def _guarded(awaitable: Awaitable[object], name: str) -> None:
    try:
        await awaitable
    except Exception:
        logger.exception("%s hook failed", name)
