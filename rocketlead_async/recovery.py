"""Slot-race recovery: book a real slot even when another caller takes the requested one first.

Between an availability fetch and the booking POST another caller can take the slot; RocketLead
then answers 400 "The selected time slot is no longer available". :func:`book` (exposed as
``client.bookings.book``) re-fetches availability around the original time, picks a fresh slot
with the policy's picker and books again, within ``max_attempts`` POSTs and the call's deadline,
telling the caller what it is doing through ``on_event`` so a voice agent can keep talking.

It only calls the client's public methods, so transport retries stay exactly as they are, and a
:class:`BookingOutcomeUnknown` stops it at once: a caller who may already hold a booking is never
booked a second time. It imports neither the client nor the resources: it is handed what it
needs (the client as a :class:`BookingClient`, the clock, the seat claims).
"""

from __future__ import annotations

import asyncio
import enum
import functools
import inspect
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, NoReturn, Protocol, TypeVar

import attrs

from ._outcomes import LateOutcome, OutcomeReporter
from ._retry import RetryPolicy
from ._seats import Seat, SeatClaims, SeatClaimsProtocol
from ._telemetry import NOOP, NOOP_BOOK, Telemetry
from ._validate import (
    check_int,
    check_number,
    check_optional_aware,
    check_timedelta,
    check_timeout,
    validator,
)
from ._wait import within
from .errors import (
    BookingOutcomeUnknown,
    DeadlineExceeded,
    RecoveryReason,
    RocketLeadError,
    SlotRecoveryExhausted,
    SlotUnavailableError,
)
from .models import Attempt, Availability, Booking, BookingRequest, Slot, SlotKey
from .models.availability import rank_nearest

__all__ = [
    "Attempt",
    "BookingClient",
    "BookingOutcome",
    "Picker",
    "RecoveryEvent",
    "RecoveryEventKind",
    "SeatClaims",
    "SlotRecovery",
    "book",
    "rank_candidates",
]

logger = logging.getLogger("rocketlead_async")

T = TypeVar("T")

Picker = Callable[[BookingRequest, Sequence[Slot]], Slot | None]
"""A custom picker: ``(original request, ranked candidates) -> slot to book, or None to stop``."""
PickerName = Literal["nearest", "same_time_any_resource", "next_after"]
EventHook = Callable[["RecoveryEvent"], Awaitable[None] | None]
ConfirmHook = Callable[[BookingRequest, Slot], Awaitable[bool] | bool]


class RecoveryEventKind(str, enum.Enum):
    """What :func:`book` is doing right now."""

    ATTEMPT = "attempt"
    """A booking POST is about to be sent."""
    SENT = "sent"
    """The POST started going on the wire: from now on the booking may exist (before it,
    nothing was sent). Delivered synchronously from the write, never awaited: an async
    ``on_event`` hook's coroutine runs as a task of its own."""
    SLOT_TAKEN = "slot_taken"
    """The slot went to another caller (400 no longer available)."""
    REFETCHED = "refetched"
    """Fresh availability arrived; ``candidates`` counts the bookable alternatives."""
    PICKED = "picked"
    """An alternative was chosen (``slot``)."""
    BOOKED = "booked"
    """Done: ``booking`` holds the confirmed booking."""
    GAVE_UP = "gave_up"
    """Recovery stops without a booking; ``reason`` says why (as
    :attr:`SlotRecoveryExhausted.reason`, which follows)."""


class _AvailabilityAPI(Protocol):
    async def get(
        self,
        *,
        calendar_id: str,
        appointment_type_id: str,
        start: datetime,
        end: datetime,
        resource_id: str | None = ...,
        timeout: float | None = ...,
        retry: RetryPolicy | None = ...,
    ) -> Availability: ...


class _BookingsAPI(Protocol):
    async def create(
        self,
        request: BookingRequest,
        *,
        timeout: float | None = ...,
        retry: RetryPolicy | None = ...,
        attempts: Sequence[Attempt] | None = ...,
        on_sent: Callable[[], None] | None = ...,
    ) -> Booking: ...


class BookingClient(Protocol):
    """What :func:`book` uses of a client: its defaults and two public methods."""

    @property
    def timeout(self) -> float: ...
    @property
    def retry(self) -> RetryPolicy: ...
    @property
    def availability(self) -> _AvailabilityAPI: ...
    @property
    def bookings(self) -> _BookingsAPI: ...
    @property
    def seat_claims(self) -> SeatClaimsProtocol: ...


@attrs.frozen
class RecoveryEvent:
    """One step of a recovery, for ``SlotRecovery.on_event``.

    ``attempt`` is the 1-based number of the POST the step belongs to: an ``attempt`` event
    opens POST *n*, and every later event up to the next ``attempt`` (``slot_taken``,
    ``refetched``, ``picked``, ``booked``, ``gave_up``) carries *n* too; a ``gave_up`` before
    any POST carries 1. ``slot`` is the slot concerned (``None`` for the original request, which
    need not come from a :class:`Slot`, and for ``refetched``/``gave_up``), ``request`` the
    request of POST *n*, ``elapsed`` the seconds since ``book()`` started.
    """

    kind: RecoveryEventKind
    attempt: int
    slot: Slot | None
    elapsed: float
    request: BookingRequest
    candidates: int | None = None
    booking: Booking | None = None
    reason: str | None = None


@attrs.frozen
class BookingOutcome:
    """A confirmed booking and how it was reached. ``recovered`` is true when the booked slot is
    not the one originally requested."""

    booking: Booking
    attempts: tuple[Attempt, ...]
    recovered: bool
    original_request: BookingRequest


def _picker(_instance: object, _attribute: attrs.Attribute[Any], value: object) -> None:
    if not callable(value) and not (isinstance(value, str) and value in _RANKINGS):
        raise ValueError(
            f"SlotRecovery.picker must be one of {sorted(_RANKINGS)} or a callable, not {value!r}"
        )


@attrs.frozen
class SlotRecovery:
    """How :func:`book` recovers from the slot-fill race.

    - ``max_attempts``: booking attempts in total, the first included; each attempt is one
      ``bookings.create()``, so one POST, except that a POST the transport repeats under its
      :class:`RetryPolicy` because it certainly did not commit (429, the API's own 503, never
      sent) stays within its attempt. Only a lost race (or such a refusal) leads to another.
    - ``window``: how far from the original start alternatives may lie, each side;
      ``not_before``/``not_after`` bound it further (e.g. "never past Friday").
    - ``picker``: ``"nearest"`` (closest start, same resource first), ``"next_after"`` (earliest
      start at or after the original), ``"same_time_any_resource"``, or a callable
      ``(request, ranked candidates) -> Slot | None``.
    - ``spread``: a named picker picks at random among the ``spread`` best-ranked candidates,
      weighted by their free seats, so agents that cannot see each other's claims (one client
      per caller, processes of their own) do not all charge the same next slot. The default,
      1, always takes the best: a caller who loses a race gets the nearest slot. Measured with
      one client per caller (``benchmarks/fleet.py``): ``spread=1`` books as many callers as
      the docs' naive loop (about half), ``spread=4`` about 88-93%, ``spread=8`` 92-100% with
      about 2 POSTs (the slots within 30 minutes overlap the taken hour and share its
      capacity, so a herd needs the hour-away ones too); with ``RedisSeatClaims`` it matters
      only for picks Redis cannot answer in time, so keep ``spread=8`` there too.
      Calls sharing a client book all with 1.9 POSTs at any spread. Calls whose claims are
      shared (one client, or ``RedisSeatClaims``) also rank a slot whose seats the others are
      all charging last; with ``RedisSeatClaims`` the best-ranked slot with a seat left is claimed
      atomically, and ``spread`` matters only when Redis cannot be asked.
    - ``pin_resource``: only alternatives on the request's resource (if the request names one).
    - ``on_event``: called (sync or async) with a :class:`RecoveryEvent` per step; its errors are
      logged and ignored.
    - ``confirm``: asked (sync or async) before booking a slot other than the requested one;
      ``False`` stops with ``SlotRecoveryExhausted(reason="declined")`` and books nothing.
      Awaited hooks count against the call's ``timeout`` and are cancelled when it runs out.
    - ``min_attempt_time``: no POST after the first starts with less budget left than this,
      transport repeats included (a POST cut short by the deadline would leave the outcome
      unknown, the worst result for a caller). The first POST is always sent, so without a
      race ``book()`` behaves like ``create()`` with the same ``timeout``.
    - ``rng``: the random source of ``spread`` (seed it for reproducible runs).
    """

    max_attempts: int = attrs.field(default=3, validator=validator(check_int, minimum=1))
    window: timedelta = attrs.field(
        default=timedelta(hours=3), validator=validator(check_timedelta)
    )
    picker: PickerName | Picker = attrs.field(default="nearest", validator=_picker)
    spread: int = attrs.field(default=1, validator=validator(check_int, minimum=1))
    pin_resource: bool = False
    not_before: datetime | None = attrs.field(
        default=None, validator=validator(check_optional_aware)
    )
    not_after: datetime | None = attrs.field(
        default=None, validator=validator(check_optional_aware)
    )
    on_event: EventHook | None = None
    confirm: ConfirmHook | None = None
    min_attempt_time: float = attrs.field(default=0.5, validator=validator(check_number))
    rng: random.Random | None = attrs.field(default=None, eq=False, repr=False)


# -- ranking ------------------------------------------------------------------------------------


def _request_key(request: BookingRequest) -> SlotKey:
    return (request.resource_id, request.start, request.end)  # type: ignore[return-value]


def _rank_nearest(request: BookingRequest, candidates: Sequence[Slot]) -> list[Slot]:
    return rank_nearest(candidates, request.start, request.resource_id)


def _rank_next_after(request: BookingRequest, candidates: Sequence[Slot]) -> list[Slot]:
    later = [slot for slot in candidates if slot.start >= request.start]
    return sorted(later, key=lambda s: (s.start, s.resource_id != request.resource_id))


def _rank_same_time(request: BookingRequest, candidates: Sequence[Slot]) -> list[Slot]:
    same = [s for s in candidates if s.start == request.start and s.end == request.end]
    return sorted(same, key=lambda s: (s.resource_id != request.resource_id, s.resource_id or ""))


_RANKINGS: dict[str, Callable[[BookingRequest, Sequence[Slot]], list[Slot]]] = {
    "nearest": _rank_nearest,
    "next_after": _rank_next_after,
    "same_time_any_resource": _rank_same_time,
}


def rank_candidates(
    picker: PickerName | Picker, request: BookingRequest, candidates: Sequence[Slot]
) -> list[Slot]:
    """``candidates`` best first, by a named picker's order (a callable picker's alternatives
    are ranked by ``"nearest"``)."""
    rank = _RANKINGS["nearest"] if callable(picker) else _RANKINGS[picker]
    return rank(request, candidates)


_DEFAULT_RECOVERY = SlotRecovery()  # frozen, so one serves every book() call without its own


# -- the strategy -------------------------------------------------------------------------------


_GIVE_UP_MESSAGES: dict[RecoveryReason, str] = {
    "max_attempts": "the slot was taken on every booking attempt",
    "deadline": "the time budget ran out before a booking could be made",
    "no_candidate": "no bookable alternative in the window",
    "declined": "the alternative was declined",
    "refetch_failed": "availability could not be refetched after the slot was taken",
}


@attrs.define
class _Run:
    """The mutable state of one ``book()`` call."""

    client: BookingClient
    original: BookingRequest
    policy: SlotRecovery
    retry: RetryPolicy  # for POSTs: its min_attempt_time raised to the policy's
    fetch_retry: RetryPolicy | None
    clock: Callable[[], float]
    started: float
    deadline: float
    attempts: list[Attempt] = attrs.field(factory=list)
    number: int = 0  # of the POST under way or last made: the events' ``attempt``
    tried: set[SlotKey] = attrs.field(factory=set)
    alternatives: list[Slot] = attrs.field(factory=list)
    claims: SeatClaimsProtocol = attrs.field(factory=SeatClaims)
    held: Seat | None = None  # the seat this call has claimed, if any
    fetched_at: float | None = None  # when the alternatives' availability was requested
    reporter: OutcomeReporter = attrs.field(factory=OutcomeReporter)
    span: Any = NOOP_BOOK  # the book() span's handle: recovery steps become its events
    quiet: bool = False  # nobody hears the events (no on_event hook, no span): emit() skipped

    def hold(self, key: SlotKey | None, *, booked: bool = False) -> None:
        """Claim ``key``'s seat in place of the one held (``None``: just release)."""
        if self.held is not None:
            self.claims.release(self.held, booked_at=self.now() if booked else None)
        self.held = (
            None if key is None else self.claims.take(key, calendar_id=self.original.calendar_id)
        )

    async def hold_best(self, slot: Slot, ranked: Sequence[Slot]) -> Slot:
        """Claim a seat of ``slot``, the pick among ``ranked``; claims shared with other
        processes may claim the best-ranked slot they see a seat in instead (``spread`` is for
        when nobody can see the others). A callable picker's choice is never replaced."""
        self.hold(None)
        slot, self.held = await self.claims.take_best(
            slot,
            [slot] if callable(self.policy.picker) else ranked,
            calendar_id=self.original.calendar_id,
            fetched_at=self.fetched_at if self.fetched_at is not None else self.now(),
            now=self.now(),
        )
        return slot

    def look(self, fetched_at: float | None) -> None:
        """Rank with availability fetched at ``fetched_at`` from now on (``None``: done)."""
        if self.fetched_at is not None:
            self.claims.unwatch(self.fetched_at)
        if fetched_at is not None:
            self.claims.watch(fetched_at)
        self.fetched_at = fetched_at

    def free_seats(self, slot: Slot) -> int:
        return self.claims.free_seats(slot, self.fetched_at or 0.0)

    def now(self) -> float:
        return self.clock()

    def left(self) -> float:
        return self.deadline - self.now()

    async def settle(self, result: Awaitable[T] | T) -> T:
        """A hook's result; an awaitable one is awaited within the budget left, because the
        call's ``timeout`` bounds everything ``book()`` waits for, hooks included."""
        if inspect.isawaitable(result):
            return await within(result, max(self.left(), 0.0))
        return result

    def event(
        self, kind: RecoveryEventKind, request: BookingRequest, slot: Slot | None, **details: object
    ) -> RecoveryEvent:
        return RecoveryEvent(
            kind=kind,
            attempt=max(self.number, 1),
            slot=slot,
            elapsed=self.now() - self.started,
            request=request,
            **details,  # type: ignore[arg-type]
        )

    async def emit(
        self,
        kind: RecoveryEventKind,
        request: BookingRequest,
        slot: Slot | None,
        **details: object,
    ) -> None:
        resource_id = slot.resource_id if slot is not None else request.resource_id
        self.span.event(kind.value, max(self.number, 1), resource_id)
        hook = self.policy.on_event
        if hook is None:
            return
        try:
            await self.settle(hook(self.event(kind, request, slot, **details)))
        except Exception:
            # A broken or slow progress callback must not cost the caller their booking.
            logger.exception("SlotRecovery.on_event failed for %s", kind.value)

    def sent(self, request: BookingRequest, slot: Slot | None) -> None:
        """The ``sent`` event, from inside the POST's write: called, never awaited."""
        self.reporter.call_hook(
            self.policy.on_event, self.event(RecoveryEventKind.SENT, request, slot), "on_event"
        )

    def out_of_time(self) -> bool:
        """Whether no POST may start now: one needs any budget left for the first, and
        ``min_attempt_time`` of it for later ones."""
        left = self.left()
        return left <= 0 or (bool(self.attempts) and left < self.policy.min_attempt_time)

    async def post(self, request: BookingRequest, slot: Slot | None) -> Booking:
        """One booking POST, recorded in the history whatever its result."""
        posted = self.now()
        on_sent = None if self.policy.on_event is None else lambda: self.sent(request, slot)
        try:
            booking = await self.client.bookings.create(
                request,
                timeout=self.left(),
                retry=self.retry,
                attempts=self.attempts,
                on_sent=on_sent,
            )
        except BaseException as error:
            self.hold(None)  # answered or abandoned: the seat is no longer being charged
            # A BookingOutcomeUnknown carries the whole history already, itself last.
            if isinstance(error, RocketLeadError) and not isinstance(error, BookingOutcomeUnknown):
                # Without the transport's frames: a kept error holds no request internals.
                error.__traceback__ = None
                self.attempts.append(Attempt(request, error, self.now() - posted))
            raise
        self.hold(None, booked=True)
        self.attempts.append(Attempt(request, None, self.now() - posted))
        return booking

    async def recover(self, request: BookingRequest) -> list[Slot]:
        """Fresh ranked candidates after ``request`` lost the race; gives up when no further
        POST may follow (the refetch still runs then, so the alternatives are fresh)."""
        spent = len(self.attempts) >= self.policy.max_attempts
        try:
            ranked = await self.refetch(request)
        except RocketLeadError as error:
            if spent:
                # The refetch only freshened the alternatives: its failure is not why we stop.
                await self.give_up("max_attempts", request, cause=error)
            reason: RecoveryReason = (
                "deadline" if isinstance(error, DeadlineExceeded) else "refetch_failed"
            )
            await self.give_up(reason, request, cause=error)
        if spent:
            await self.give_up("max_attempts", request)
        return ranked

    async def refetch(self, request: BookingRequest) -> list[Slot]:
        """Fresh bookable candidates around the original time, ranked, minus tried slots."""
        original, policy = self.original, self.policy
        low, high = _widen(original.start, original.end, policy.window)
        if policy.not_before is not None:
            low = max(low, policy.not_before)
        if policy.not_after is not None:
            high = min(high, policy.not_after)
        if original.appointment_type_id is None or high <= low:
            # Nothing to ask for: availability needs an appointment type and a time range.
            self.alternatives = []
            return self.alternatives
        left = self.left()
        if left <= 0:
            raise DeadlineExceeded(
                "the call's time budget ran out",
                method="GET",
                path="/connect/availability/",
                request_sent=False,
            )
        pinned = original.resource_id if policy.pin_resource else None
        self.look(self.now())
        availability = await self.client.availability.get(
            calendar_id=original.calendar_id,
            appointment_type_id=original.appointment_type_id,
            start=low,
            end=high,
            resource_id=pinned,
            timeout=left,
            retry=self.fetch_retry,
        )
        duration = original.end - original.start
        tried, type_id = self.tried, original.appointment_type_id
        # Slot.has_room, .key and .duration spelled out: this runs for every slot of the answer,
        # and three property calls per slot cost more than the tests themselves.
        candidates = [
            slot
            for slot in availability.slots
            if slot.available
            and slot.current_bookings < slot.max_parallel_bookings
            and low <= slot.start
            and slot.end <= high
            and slot.end - slot.start == duration
            and (slot.resource_id, slot.start, slot.end) not in tried
            and slot.appointment_type_id in (None, type_id)
            and pinned in (None, slot.resource_id)
        ]
        ranked = rank_candidates(policy.picker, original, candidates)
        # Stable: within each group the picker's order stands.
        self.alternatives = sorted(ranked, key=lambda slot: self.free_seats(slot) == 0)
        await self.emit(
            RecoveryEventKind.REFETCHED, request, None, candidates=len(self.alternatives)
        )
        return self.alternatives

    def pick(self, ranked: list[Slot]) -> Slot | None:
        picker = self.policy.picker
        if callable(picker):
            chosen = picker(self.original, list(ranked))
            if chosen is not None and not isinstance(chosen, Slot):
                raise TypeError(f"picker returned {type(chosen).__name__}, not a Slot or None")
            return chosen
        if not ranked:
            return None
        best = ranked[: self.policy.spread]
        if len(best) == 1:
            return best[0]
        weights = [self.free_seats(slot) for slot in best]
        if not any(weights):
            weights = [1] * len(best)
        return (self.policy.rng or random).choices(best, weights=weights)[0]

    async def confirmed(self, request: BookingRequest, slot: Slot) -> bool:
        """The ``confirm`` hook's answer for booking ``slot`` instead of ``request``."""
        confirm = self.policy.confirm
        if confirm is None or slot.key == _request_key(self.original):
            return True
        try:
            return bool(await self.settle(confirm(self.original, slot)))
        except asyncio.TimeoutError:
            if self.left() > 0:
                raise  # the hook's own timeout, not the budget's
            await self.give_up("deadline", request)

    async def give_up(
        self, reason: RecoveryReason, request: BookingRequest, *, cause: Exception | None = None
    ) -> NoReturn:
        await self.emit(RecoveryEventKind.GAVE_UP, request, None, reason=reason)
        message = f"{_GIVE_UP_MESSAGES[reason]} ({len(self.attempts)} booking attempts)"
        if cause is not None:
            message += f": {cause}"
        alternatives = [slot for slot in self.alternatives if slot.key not in self.tried]
        raise SlotRecoveryExhausted(
            message, reason=reason, attempts=self.attempts, alternatives=alternatives
        ) from cause


def _widen(start: datetime, end: datetime, window: timedelta) -> tuple[datetime, datetime]:
    """``(start - window, end + window)``, clamped to the datetimes that exist (a window of
    ``timedelta.max`` means "anywhere", not ``OverflowError``)."""
    try:
        low = start - window
    except OverflowError:
        low = datetime.min.replace(tzinfo=timezone.utc)
    try:
        high = end + window
    except OverflowError:
        high = datetime.max.replace(tzinfo=timezone.utc)
    return low, high


@functools.lru_cache(maxsize=64)
def _post_retry(retry: RetryPolicy, min_attempt_time: float) -> RetryPolicy:
    """``retry`` for book()'s POSTs: ``min_attempt_time`` at least the policy's. Made once per
    pair (both are frozen; the defaults are the same objects every call): ``attrs.evolve``
    re-runs every validator, a third of what book() cost on top of create()."""
    if retry.min_attempt_time < min_attempt_time:
        return attrs.evolve(retry, min_attempt_time=min_attempt_time)
    return retry


async def book(
    client: BookingClient,
    request: BookingRequest,
    *,
    recovery: SlotRecovery | None = None,
    timeout: float | None = None,
    retry: RetryPolicy | None = None,
    clock: Callable[[], float] = time.monotonic,
    claims: SeatClaimsProtocol | None = None,
    reporter: OutcomeReporter | None = None,
    telemetry: Telemetry = NOOP,
) -> BookingOutcome:
    """Book ``request``; if its slot is taken, book the best fresh alternative.

    ``timeout`` bounds the whole call, fetches, POSTs and awaited hooks together (default: the
    client's). Raises :class:`SlotRecoveryExhausted` when no booking could be made, with the
    attempts and the alternatives of the latest refetch; its ``reason`` is ``"max_attempts"``,
    ``"deadline"``, ``"no_candidate"``, ``"declined"`` or ``"refetch_failed"`` (the refetch
    after a lost race failed; the error is the ``__cause__``). :class:`BookingOutcomeUnknown`,
    other errors of a POST, and cancellation go through unchanged. ``clock`` is the client's
    monotonic clock; ``claims`` the seat claims shared with sibling calls (default: none);
    ``reporter`` the client's, which hears of a booking that exists when the caller is
    cancelled (a :class:`LateOutcome`) and runs async ``sent`` hooks; ``telemetry`` the
    client's (a span for the call, its recovery steps as events).
    """
    if not isinstance(request, BookingRequest):
        raise TypeError(f"request must be a BookingRequest, not {type(request).__name__}")
    policy = recovery if recovery is not None else _DEFAULT_RECOVERY
    budget = client.timeout if timeout is None else check_timeout(timeout)
    post_retry = _post_retry(client.retry if retry is None else retry, policy.min_attempt_time)
    started = clock()
    run = _Run(
        client,
        request,
        policy,
        post_retry,
        retry,
        clock,
        started=started,
        deadline=started + budget,
        claims=SeatClaims() if claims is None else claims,
        reporter=OutcomeReporter() if reporter is None else reporter,
    )
    with telemetry.book() as run.span:
        run.quiet = policy.on_event is None and run.span is NOOP_BOOK
        try:
            outcome = await _book(run, request)
        except SlotRecoveryExhausted as exhausted:
            run.span.outcome(exhausted.reason, len(exhausted.attempts), False)
            raise
        except BookingOutcomeUnknown as unknown:
            run.span.outcome("unknown", len(unknown.attempts) or 1, False)
            raise
        finally:
            run.hold(None)
            run.look(None)
        run.span.outcome("booked", len(outcome.attempts), outcome.recovered)
        return outcome


async def _book(run: _Run, request: BookingRequest) -> BookingOutcome:
    current, current_slot = request, None
    run.hold(_request_key(request))
    while True:
        if run.out_of_time():
            await run.give_up("deadline", current)
        run.number += 1
        if not run.quiet:
            await run.emit(RecoveryEventKind.ATTEMPT, current, current_slot)
            if run.out_of_time():  # the on_event hook may have used it
                await run.give_up("deadline", current)
        try:
            booking = await run.post(current, current_slot)
        except SlotUnavailableError as taken:
            # Kept in the history, not raised: without the frames it crossed on its way here
            # (post()'s among them), which would hold this run alive in a reference cycle.
            taken.__traceback__ = None
            run.tried.add(_request_key(current))
            await run.emit(RecoveryEventKind.SLOT_TAKEN, current, current_slot)
        except DeadlineExceeded as late:
            # The transport raises this for a POST only when it certainly did not commit
            # (otherwise BookingOutcomeUnknown), so the caller holds nothing.
            await run.give_up("deadline", current, cause=late)
        else:
            try:
                if not run.quiet:
                    await run.emit(RecoveryEventKind.BOOKED, current, current_slot, booking=booking)
            except asyncio.CancelledError:
                # The caller left while hearing "booked" (the agent was saying it): the booking
                # stands and must not be forgotten.
                logger.warning("book() cancelled after booking %s; the booking stands", booking.id)
                attempts = tuple(run.attempts)
                run.reporter.late(LateOutcome(current, booking, None, attempts))
                raise
            return BookingOutcome(
                booking=booking,
                attempts=tuple(run.attempts),
                recovered=current is not request,
                original_request=request,
            )

        ranked = await run.recover(current)
        slot = run.pick(ranked)
        if slot is None:
            await run.give_up("no_candidate", current)
        slot = await run.hold_best(slot, ranked)  # claimed before any await: siblings see it
        await run.emit(RecoveryEventKind.PICKED, current, slot)
        if not await run.confirmed(current, slot):
            await run.give_up("declined", current)
        current, current_slot = request.for_slot(slot), slot
