"""BookingDesk: one caller's booking conversation, safe against barge-in and repeated tool calls.

A voice agent's LLM calls tools; the caller talks over the agent; frameworks cancel and time out
tools. :class:`BookingDesk` sits between those tools and ``client.bookings.book`` so that none
of that can book a caller twice or leave a booking nobody was told about:

- ``offer()`` lists bookable times with short ids (``S1``, ``S2``…) and the time as a person
  says it, in the calendar's own zone, so the LLM never copies timestamps;
- ``book()`` runs one booking at a time per desk (one desk = one caller): the same slot while
  it is in flight joins that booking, another slot answers ``in_progress``, and after a booking
  every further call answers ``already_booked``, sending nothing;
- the booking runs in a task the desk owns: a cancelled ``book()`` re-raises
  ``CancelledError`` at once while a POST already sent completes and its result is recorded
  (``abandoned``), and no alternative is booked for a caller who has left.

Framework-neutral: pure SDK and asyncio. The LiveKit and pipecat adapters are thin layers on it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, Literal

import attrs

from ._validate import check_id, check_int, check_optional_id, check_timeout
from ._wait import settle
from .errors import BookingOutcomeUnknown, RocketLeadError, SlotRecoveryExhausted
from .models import Booking, BookingRequest, Calendar, Slot, SlotKey
from .recovery import Attempt, RecoveryEvent, RecoveryEventKind, SlotRecovery

if TYPE_CHECKING:
    from ._client import RocketLeadClient

__all__ = ["BookingDesk", "DeskResult", "DeskStatus", "OfferedSlot", "Phrases"]

logger = logging.getLogger("rocketlead_async")

DeskStatus = Literal["booked", "alternatives", "unknown", "failed", "in_progress", "already_booked"]
"""What a :meth:`BookingDesk.book` call came to."""

ProgressHook = Callable[[str], "Awaitable[None] | None"]
"""Takes a sentence to say while the booking works (e.g. a TTS ``say``)."""
ResultHook = Callable[["DeskResult"], "Awaitable[None] | None"]


# -- phrases --------------------------------------------------------------------------------


@attrs.frozen
class Phrases:
    """Every sentence a desk speaks, replaceable (``Phrases(booked="Gebucht: {when}.")`` or a
    subclass). ``{when}`` is a time as :meth:`when` says it, ``{slot_id}`` an id the LLM sent,
    ``{options}`` the alternatives joined by :meth:`options`.

    Each reason to give up has its own sentence, so the caller hears why: the time running out
    is not the slot being taken. ``taken`` is ``max_attempts`` when no other time was tried
    (``SlotRecovery(max_attempts=1)``). ``booked_other_staff`` is for a recovery that kept the
    time and only moved the booking to another resource.
    """

    weekdays: tuple[str, ...] = (
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    )
    months: tuple[str, ...] = (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    )
    when_format: str = "{weekday} {day} {month} at {time}"
    or_word: str = "or"
    booked: str = "You're booked for {when}."
    booked_moved: str = "That time was just taken, so I booked {when} instead."
    booked_other_staff: str = "You're booked for {when}: same time, with another staff member."
    already_booked: str = "You're already booked for {when}."
    in_progress: str = "I'm still booking {when}. One moment, please."
    unknown: str = (
        "I couldn't confirm whether {when} is booked. Please don't book again; "
        "we'll confirm it with you shortly."
    )
    max_attempts: str = "That slot was just taken, and so were the other times I tried."
    taken: str = "That slot was just taken."
    deadline: str = "The time ran out before I could book {when}."
    no_candidate: str = "That slot was just taken, and nothing else is free around then."
    declined: str = "That slot was just taken, so I haven't booked anything else."
    refetch_failed: str = "That slot was just taken, and I couldn't look up other times just now."
    error: str = "Sorry, I couldn't book {when} because of a technical problem."
    abandoned: str = "I didn't book {when}."
    unknown_slot: str = (
        "I don't have a time called {slot_id}. Please choose one of the times I offered."
    )
    alternatives: str = "I can offer {options}."
    progress_taken: str = "That time was just taken. Let me find another one."
    progress_trying: str = "Let me try {when} instead."

    def when(self, moment: datetime, zone: tzinfo) -> str:
        """``moment`` as a person says it in ``zone``: "Wednesday 24 March at 15:00"."""
        local = moment.astimezone(zone)
        return self.when_format.format(
            weekday=self.weekdays[local.weekday()],
            day=local.day,
            month=self.months[local.month - 1],
            time=f"{local:%H:%M}",
        )

    def options(self, spoken: Sequence[str]) -> str:
        """ "A, B or C"."""
        if len(spoken) <= 1:
            return "".join(spoken)
        return f"{', '.join(spoken[:-1])} {self.or_word} {spoken[-1]}"

    def give_up(self, reason: str, when: str, *, posts: int | None = None) -> str:
        """The honest sentence for a booking that gave up for ``reason`` (a
        :attr:`SlotRecoveryExhausted.reason`, or the desk's ``"error"``/``"abandoned"``) after
        ``posts`` booking attempts (if known): one lost race alone is just ``taken``."""
        if reason == "max_attempts" and posts is not None and posts <= 1:
            reason = "taken"
        template = getattr(self, reason, None)
        if reason not in _GIVE_UP_REASONS or not isinstance(template, str):
            template = self.error
        return template.format(when=when)


_GIVE_UP_REASONS = frozenset(
    {
        "max_attempts",
        "taken",
        "deadline",
        "no_candidate",
        "declined",
        "refetch_failed",
        "error",
        "abandoned",
    }
)


# -- results --------------------------------------------------------------------------------


@attrs.frozen
class OfferedSlot:
    """A slot as offered to the caller: ``id`` is short ("S1") and stable within its desk,
    ``spoken`` the time as the agent says it."""

    id: str
    slot: Slot
    spoken: str


@attrs.frozen
class DeskResult:
    """What a :meth:`BookingDesk.book` call came to.

    - ``status``: ``"booked"``, ``"alternatives"`` (no booking; ``alternatives`` can be
      offered), ``"unknown"`` (the POST may have booked: never book this caller again blindly),
      ``"failed"``, ``"in_progress"`` (another slot is being booked; nothing sent),
      ``"already_booked"`` (``booking`` is the existing one; nothing sent).
    - ``spoken``: the sentence to say; ``reason``: why it gave up (``SlotRecoveryExhausted``'s
      reasons, ``"error"``, ``"abandoned"``, ``"unknown_slot"``).
    - ``abandoned``: every caller awaiting this booking was cancelled before it settled.
    """

    status: DeskStatus
    spoken: str
    slot: OfferedSlot | None = None
    booking: Booking | None = None
    alternatives: tuple[OfferedSlot, ...] = ()
    recovered: bool = False
    abandoned: bool = False
    reason: str | None = None
    error: RocketLeadError | None = attrs.field(default=None, eq=False)
    attempts: tuple[Attempt, ...] = attrs.field(default=(), eq=False)

    def for_llm(self) -> dict[str, Any]:
        """A small JSON-ready dict for the LLM: ``status``, ``say``, and when they apply
        ``booking_id``, ``alternatives`` (``[{"id": "S4", "spoken": ...}]``), ``abandoned``."""
        answer: dict[str, Any] = {"status": self.status, "say": self.spoken}
        if self.booking is not None:
            answer["booking_id"] = self.booking.id
        if self.alternatives:
            answer["alternatives"] = [
                {"id": offered.id, "spoken": offered.spoken} for offered in self.alternatives
            ]
        if self.abandoned:
            answer["abandoned"] = True
        return answer


# -- the desk -------------------------------------------------------------------------------


@attrs.define(eq=False)
class _Flight:
    """The one booking of a desk under way."""

    offered: OfferedSlot
    waiters: int = 0
    posting: bool = False  # a POST was written (``sent``): cancelling could orphan a booking
    abandoned: bool = False
    started: bool = False
    cancelled_by_desk: bool = False
    progress: list[ProgressHook] = attrs.field(factory=list)
    late: list[ResultHook] = attrs.field(factory=list)
    task: asyncio.Task[DeskResult] | None = None


class BookingDesk:
    """One caller's booking conversation: offers with short ids, one booking at a time.

    - ``calendar``: the :class:`Calendar` (its ``tzdata`` speaks the times);
      ``appointment_type_id``: what is booked; ``resource_id``: offer and book only that
      resource (recovery is then pinned to it).
    - ``budget``: seconds for a whole booking, recovery included (the ``timeout=`` of
      ``client.bookings.book``): keep it below the framework's tool timeout so an honest
      ``unknown`` or ``alternatives`` comes back first. ``offer()`` uses it too.
    - ``recovery``: the :class:`SlotRecovery` policy; its ``on_event``/``confirm`` still run.
    - ``on_outcome``: called (sync or async, errors logged) with every settled booking's
      :class:`DeskResult`, abandoned ones too.
    - ``max_offers``: how many times ``offer()`` and a give-up's alternatives list.
    - ``phrases``: the sentences (:class:`Phrases`, English by default).

    A booking whose outcome is unknown blocks further bookings of this desk like a made one
    (it may exist): ``book()`` then answers ``unknown`` again and sends nothing.
    """

    def __init__(
        self,
        client: RocketLeadClient,
        *,
        calendar: Calendar,
        appointment_type_id: str,
        budget: float = 8.0,
        recovery: SlotRecovery | None = None,
        on_outcome: ResultHook | None = None,
        max_offers: int = 3,
        phrases: Phrases | None = None,
        resource_id: str | None = None,
    ) -> None:
        if not isinstance(calendar, Calendar):
            raise TypeError(f"calendar must be a Calendar, not {type(calendar).__name__}")
        check_id(appointment_type_id, "appointment_type_id")
        check_optional_id(resource_id, "resource_id")
        check_int(max_offers, "max_offers")
        if recovery is not None and not isinstance(recovery, SlotRecovery):
            raise TypeError(f"recovery must be a SlotRecovery, not {type(recovery).__name__}")
        if phrases is not None and not isinstance(phrases, Phrases):
            raise TypeError(f"phrases must be a Phrases, not {type(phrases).__name__}")
        self.client = client
        self.calendar = calendar
        self.zone: tzinfo = calendar.zoneinfo  # ValueError now, not mid-call, if it has none
        self.appointment_type_id = appointment_type_id
        self.resource_id = resource_id
        try:
            self.budget = check_timeout(budget)
        except ValueError:
            raise ValueError(
                f"budget must be a finite number of seconds > 0, not {budget!r}"
            ) from None
        self.recovery = recovery if recovery is not None else SlotRecovery()
        if resource_id is not None:
            # Offered only that resource: recovery must not move the caller to another one.
            self.recovery = attrs.evolve(self.recovery, pin_resource=True)
        self.on_outcome = on_outcome
        self.max_offers = max_offers
        self.phrases = phrases if phrases is not None else Phrases()
        self._by_id: dict[str, OfferedSlot] = {}
        self._by_key: dict[SlotKey, OfferedSlot] = {}
        self._flight: _Flight | None = None
        self._holding: DeskResult | None = None  # booked or unknown: no further POST
        self._outcomes: list[DeskResult] = []
        self._tasks: set[asyncio.Future[Any]] = set()
        self._closed = False

    def __repr__(self) -> str:
        state = "in flight" if self._flight else (self._holding.status if self._holding else "idle")
        return f"<BookingDesk calendar={self.calendar.id!r} {state}>"

    @property
    def outcomes(self) -> tuple[DeskResult, ...]:
        """Every settled booking of this caller, in order, abandoned ones too."""
        return tuple(self._outcomes)

    @property
    def booking(self) -> Booking | None:
        """The caller's booking, once one is made."""
        return None if self._holding is None else self._holding.booking

    # -- offers -----------------------------------------------------------------------------

    async def offer(self, start: datetime, end: datetime) -> list[OfferedSlot]:
        """Up to ``max_offers`` bookable times between ``start`` and ``end``, earliest first,
        one per start time (the resource with the most free seats)."""
        availability = await self.client.availability.get(
            calendar_id=self.calendar.id,
            appointment_type_id=self.appointment_type_id,
            start=start,
            end=end,
            resource_id=self.resource_id,
            timeout=self.budget,
        )
        return self._offers(availability.bookable())

    def _offers(self, slots: Sequence[Slot], *, ranked: bool = False) -> list[OfferedSlot]:
        """One offer per start time (the slot with the most free seats), earliest first, or
        in the given order if ``ranked`` (recovery's alternatives, best first)."""
        best: dict[datetime, Slot] = {}
        for slot in slots:
            seen = best.get(slot.start)
            if seen is None or _free(slot) > _free(seen):
                best[slot.start] = slot
        chosen = list(best.values()) if ranked else sorted(best.values(), key=_start)
        return [self._register(slot) for slot in chosen[: self.max_offers]]

    def _register(self, slot: Slot) -> OfferedSlot:
        """The offer for ``slot``: the same id as before if it was offered already."""
        offered = self._by_key.get(slot.key)
        if offered is None:
            offered = OfferedSlot(f"S{len(self._by_id) + 1}", slot, self._when(slot.start))
            self._by_id[offered.id] = offered
        else:
            offered = attrs.evolve(offered, slot=slot)  # fresher seat counts, same id
            self._by_id[offered.id] = offered
        self._by_key[slot.key] = offered
        return offered

    def _when(self, moment: datetime) -> str:
        return self.phrases.when(moment, self.zone)

    # -- booking ----------------------------------------------------------------------------

    async def book(
        self,
        slot_id: str,
        *,
        name: str | None = None,
        entry_id: str | None = None,
        on_progress: ProgressHook | None = None,
        on_late: ResultHook | None = None,
    ) -> DeskResult:
        """Book the offered slot ``slot_id`` ("S2") for this caller; see the class doc.

        ``on_progress`` (sync or async) gets sentences to say while recovery works; an async
        one runs as a task of its own, so it never eats the booking's budget. ``on_late`` gets
        the result if this call is cancelled before the booking settles.
        """
        if not isinstance(slot_id, str):
            raise TypeError(f"slot_id must be a str, not {type(slot_id).__name__}")
        if self._closed:
            raise RuntimeError("this BookingDesk is closed")
        while (stopping := self._flight) is not None and stopping.cancelled_by_desk:
            # A booking its caller left is being stopped before its POST: a moment, then
            # decide afresh (should the stop have come too late, it booked after all).
            assert stopping.task is not None
            await asyncio.wait({stopping.task})
        if self._holding is not None:
            return self._repeat_holding()
        offered = self._by_id.get(slot_id.strip().upper())
        if offered is None:
            return DeskResult(
                "failed",
                self.phrases.unknown_slot.format(slot_id=slot_id),
                reason="unknown_slot",
            )
        flight = self._flight
        if flight is not None and flight.offered.id != offered.id:
            return DeskResult(
                "in_progress",
                self.phrases.in_progress.format(when=flight.offered.spoken),
                slot=flight.offered,
            )
        if flight is None:
            request = BookingRequest.from_slot(
                offered.slot, calendar_id=self.calendar.id, entry_id=entry_id, name=name
            )
            flight = self._flight = _Flight(offered)
            flight.task = asyncio.ensure_future(self._fly(flight, request))
            self._track(flight.task)
        return await self._await(flight, on_progress, on_late)

    def _repeat_holding(self) -> DeskResult:
        holding = self._holding
        assert holding is not None
        if holding.booking is None:  # unknown: it may exist, so nothing more is sent
            return attrs.evolve(holding, abandoned=False)
        return DeskResult(
            "already_booked",
            self.phrases.already_booked.format(when=self._when(holding.booking.start)),
            slot=holding.slot,
            booking=holding.booking,
        )

    async def _await(
        self, flight: _Flight, on_progress: ProgressHook | None, on_late: ResultHook | None
    ) -> DeskResult:
        task = flight.task
        assert task is not None
        flight.waiters += 1
        flight.abandoned = False  # someone is waiting for it (again)
        if on_progress is not None and on_progress not in flight.progress:
            flight.progress.append(on_progress)
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            self._leave(flight, on_progress, on_late)
            raise
        finally:
            flight.waiters -= 1

    def _leave(
        self, flight: _Flight, on_progress: ProgressHook | None, on_late: ResultHook | None
    ) -> None:
        """A waiting ``book()`` was cancelled: its caller will not hear the result."""
        task = flight.task
        assert task is not None
        if on_progress is not None and on_progress in flight.progress:
            flight.progress.remove(on_progress)
        if task.done():
            if on_late is not None and not task.cancelled() and task.exception() is None:
                self._call(on_late, task.result(), "on_late")
            return
        if on_late is not None:
            flight.late.append(on_late)
        if flight.waiters <= 1:  # this was the last one
            flight.abandoned = True
            if not flight.posting:
                # Nothing is on the wire: stop here rather than book for a caller who left; a
                # new call may start afresh at once.
                flight.cancelled_by_desk = True
                task.cancel()
                if not flight.started:  # cancelled before its first step: _fly never runs
                    self._settle(flight, self._failed(flight, "abandoned", ()))

    async def _fly(self, flight: _Flight, request: BookingRequest) -> DeskResult:
        flight.started = True
        policy = attrs.evolve(
            self.recovery,
            on_event=lambda event: self._on_event(flight, event),
            confirm=lambda original, slot: self._confirm(flight, original, slot),
        )
        try:
            result = await self._run(flight, request, policy)
        except asyncio.CancelledError:
            if not flight.cancelled_by_desk:
                self._land(flight)
                raise
            if flight.posting:
                # aiohttp writes the body from a task of its own: it went out between the
                # decision to stop and the stop. It may have booked: never book again blindly.
                result = DeskResult(
                    "unknown",
                    self.phrases.unknown.format(when=flight.offered.spoken),
                    slot=flight.offered,
                    reason="unknown",
                )
            else:
                result = self._failed(flight, "abandoned", ())
        except BaseException:
            self._land(flight)
            raise
        return self._settle(flight, result)

    def _settle(self, flight: _Flight, result: DeskResult) -> DeskResult:
        """Record a flight's result and tell the hooks, in one synchronous step so that no
        ``book()`` can slip in between."""
        result = attrs.evolve(result, abandoned=flight.abandoned)
        self._outcomes.append(result)
        if result.status in ("booked", "unknown"):
            self._holding = result
        self._land(flight)
        if self.on_outcome is not None:
            self._call(self.on_outcome, result, "on_outcome")
        for hook in flight.late:
            self._call(hook, result, "on_late")
        return result

    def _land(self, flight: _Flight) -> None:
        if self._flight is flight:
            self._flight = None

    async def _run(
        self, flight: _Flight, request: BookingRequest, policy: SlotRecovery
    ) -> DeskResult:
        try:
            outcome = await self.client.bookings.book(request, recovery=policy, timeout=self.budget)
        except BookingOutcomeUnknown as unknown:
            when = self._when(unknown.request.start)
            return DeskResult(
                "unknown",
                self.phrases.unknown.format(when=when),
                slot=flight.offered,
                reason="unknown",
                error=unknown,
                attempts=unknown.attempts,
            )
        except SlotRecoveryExhausted as exhausted:
            reason = "abandoned" if flight.abandoned else exhausted.reason
            return self._failed(
                flight, reason, exhausted.attempts, exhausted.alternatives, exhausted
            )
        except RocketLeadError as error:
            return self._failed(flight, "error", (), error=error)
        booking = outcome.booking
        original = outcome.original_request
        when = self._when(booking.start)
        if not outcome.recovered:
            spoken = self.phrases.booked
        elif (booking.start, booking.end) == (original.start, original.end):
            spoken = self.phrases.booked_other_staff
        else:
            spoken = self.phrases.booked_moved
        return DeskResult(
            "booked",
            spoken.format(when=when),
            slot=flight.offered,
            booking=booking,
            recovered=outcome.recovered,
            attempts=outcome.attempts,
        )

    def _failed(
        self,
        flight: _Flight,
        reason: str,
        attempts: Sequence[Attempt],
        alternatives: Sequence[Slot] = (),
        error: RocketLeadError | None = None,
    ) -> DeskResult:
        spoken = self.phrases.give_up(reason, flight.offered.spoken, posts=len(attempts))
        offers = self._offers(alternatives, ranked=True) if reason != "abandoned" else []
        if offers:
            options = self.phrases.options([offered.spoken for offered in offers])
            spoken = f"{spoken} {self.phrases.alternatives.format(options=options)}"
        return DeskResult(
            "alternatives" if offers else "failed",
            spoken,
            slot=flight.offered,
            alternatives=tuple(offers),
            reason=reason,
            error=error,
            attempts=tuple(attempts),
        )

    # -- recovery hooks ---------------------------------------------------------------------

    def _on_event(self, flight: _Flight, event: RecoveryEvent) -> Awaitable[None] | None:
        kind = event.kind
        if kind is RecoveryEventKind.SENT:
            flight.posting = True  # from now on the booking may exist: never cancel it
        elif kind in (RecoveryEventKind.SLOT_TAKEN, RecoveryEventKind.GAVE_UP):
            flight.posting = False
        sentence = None
        if kind is RecoveryEventKind.SLOT_TAKEN:
            sentence = self.phrases.progress_taken
        elif kind is RecoveryEventKind.PICKED and event.slot is not None:
            sentence = self.phrases.progress_trying.format(when=self._when(event.slot.start))
        if sentence is not None and not flight.abandoned:
            for say in list(flight.progress):
                self._call(say, sentence, "on_progress")
        hook = self.recovery.on_event
        return None if hook is None else hook(event)

    async def _confirm(self, flight: _Flight, original: BookingRequest, slot: Slot) -> bool:
        if flight.abandoned:
            return False  # the caller left: never book them an alternative they did not hear
        confirm = self.recovery.confirm
        if confirm is None:
            return True
        answer = confirm(original, slot)
        if inspect.isawaitable(answer):
            answer = await answer
        return bool(answer) and not flight.abandoned

    # -- hooks and closing ------------------------------------------------------------------

    def _call(self, hook: Callable[[Any], Awaitable[None] | None], value: Any, name: str) -> None:
        """Call a user hook; an async one becomes a task aclose() waits for. Errors are logged."""
        try:
            result = hook(value)
        except Exception:
            logger.exception("BookingDesk %s hook failed", name)
            return
        if inspect.isawaitable(result):
            self._track(asyncio.ensure_future(_guarded(result, name)))

    def _track(self, future: asyncio.Future[Any]) -> None:
        self._tasks.add(future)
        future.add_done_callback(self._tasks.discard)

    async def aclose(self) -> None:
        """Wait for the booking in flight and every hook it started (the client stays open);
        further ``book()`` calls raise ``RuntimeError``."""
        self._closed = True
        await settle(self._tasks)

    async def __aenter__(self) -> BookingDesk:
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.aclose()


def _start(slot: Slot) -> datetime:
    return slot.start


def _free(slot: Slot) -> int:
    return slot.max_parallel_bookings - slot.current_bookings


async def _guarded(awaitable: Awaitable[None], name: str) -> None:
    try:
        await awaitable
    except Exception:
        logger.exception("BookingDesk %s hook failed", name)
