"""What the LiveKit and pipecat adapters share: tool texts, argument checks, answers, one desk
per caller. Framework-free, so both adapters (and the plain test suite) use it as it is."""

from __future__ import annotations

import asyncio
import inspect
import weakref
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, tzinfo
from importlib import metadata
from typing import Any, Literal

import attrs

from .._validate import check_number
from ..desk import BookingDesk, DeskResult, OfferedSlot

DeskFactory = Callable[[Any], "BookingDesk | Awaitable[BookingDesk]"]
"""Makes the desk of one caller (one framework session) from the session's user data."""

ProgressMode = Literal["say", "update", "off"]

EntryIdOf = Callable[[Any], "str | None"]
"""Gives the lead (table entry) id to link a booking to, from the session's user data."""

DEFAULT_FILLER = "One moment while I book that."
"""Said once when a booking has run ``filler_delay`` seconds with the agent silent."""

DEFAULT_WINDOW = timedelta(hours=4)
"""How far ``check_availability`` looks when the LLM gives no ``end``."""

MAX_WINDOW = timedelta(days=31)

NOTHING_FREE = "I have nothing free between {start} and {end}."
LOOKUP_FAILED = "Sorry, I couldn't look up free times just now."

# -- the two tools, described once for every framework --------------------------------------

CHECK_AVAILABILITY = "check_availability"
BOOK_SLOT = "book_slot"

CHECK_AVAILABILITY_HELP = (
    "List bookable appointment times between start and end. Each time has a short id such "
    "as S1; offer the 'spoken' times to the caller and pass the chosen id to book_slot."
)
BOOK_SLOT_HELP = (
    "Book one offered time for the caller, by its id from check_availability (e.g. S2). "
    "Say the returned 'say' sentence. Never call it again after status 'booked', 'unknown' "
    "or 'already_booked': the caller already has, or may have, a booking."
)
START_HELP = (
    "Start of the window, ISO 8601 local time in the business's time zone, e.g. 2027-03-24T14:00"
)
END_HELP = "End of the window, ISO 8601 like start; defaults to 4 hours after start"
SLOT_ID_HELP = "The id of an offered time, e.g. S2"
NAME_HELP = "The caller's name, for the booking"

TOOL_PARAMETERS: dict[str, tuple[dict[str, dict[str, str]], tuple[str, ...]]] = {
    CHECK_AVAILABILITY: (
        {
            "start": {"type": "string", "description": START_HELP},
            "end": {"type": "string", "description": END_HELP},
        },
        ("start",),
    ),
    BOOK_SLOT: (
        {
            "slot_id": {"type": "string", "description": SLOT_ID_HELP},
            "name": {"type": "string", "description": NAME_HELP},
        },
        ("slot_id",),
    ),
}
"""JSON-schema properties and required names of each tool."""

TOOL_HELP = {CHECK_AVAILABILITY: CHECK_AVAILABILITY_HELP, BOOK_SLOT: BOOK_SLOT_HELP}


def missing_framework(module: str, distribution: str, extra: str) -> ImportError:
    """The ImportError an adapter raises when its framework is missing or of another release
    (the wanted range is read from this package's own ``[extra]`` requirement)."""
    install = f"pip install 'rocketlead-async[{extra}]'"
    try:
        found: str | None = metadata.version(distribution)
    except metadata.PackageNotFoundError:
        found = None
    if found is None:
        message = f"needs {distribution}; install it with {install}"
    else:
        wanted = _requirement(distribution, extra) or distribution
        message = f"needs {wanted}, not {distribution} {found}: {install}"
    return ImportError(f"rocketlead_async.integrations.{extra} {message}", name=module)


def _requirement(distribution: str, extra: str) -> str | None:
    try:
        requirements = metadata.requires("rocketlead-async") or []
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return None
    for requirement in requirements:
        spec, _, marker = requirement.partition(";")
        if spec.strip().startswith(distribution) and f"extra == '{extra}'" in marker.replace(
            '"', "'"
        ):
            return spec.strip()
    return None


# -- checking what the LLM sent -------------------------------------------------------------


class BadToolCall(ValueError):
    """The LLM's arguments cannot be used; the message tells it how to call again."""


def parse_window(start: object, end: object, zone: tzinfo) -> tuple[datetime, datetime]:
    """``(start, end)`` as aware datetimes: ISO 8601 strings, local times read in ``zone``."""
    begin = _moment("start", start, zone)
    if end is None or end == "":
        return begin, begin + DEFAULT_WINDOW
    finish = _moment("end", end, zone)
    if finish <= begin:
        raise BadToolCall("end must be after start")
    if finish - begin > MAX_WINDOW:
        raise BadToolCall("ask for at most 31 days at a time")
    return begin, finish


def _moment(field: str, value: object, zone: tzinfo) -> datetime:
    if not isinstance(value, str):
        raise BadToolCall(f"{field} must be an ISO 8601 date-time string such as 2027-03-24T14:00")
    try:
        moment = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise BadToolCall(
            f"{field} {value!r} is not an ISO 8601 date-time such as 2027-03-24T14:00"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment


def parse_booking(slot_id: object, name: object) -> tuple[str, str | None]:
    """``(slot_id, name)`` checked: a non-empty id, an optional non-empty name."""
    if not isinstance(slot_id, str) or not slot_id.strip():
        raise BadToolCall("slot_id must be the id of an offered time, e.g. S2")
    if name is not None and not isinstance(name, str):
        raise BadToolCall("name must be a string")
    return slot_id.strip(), (name.strip() or None) if name else None


# -- answers --------------------------------------------------------------------------------


def offers_answer(
    caller: CallerDesk, offers: list[OfferedSlot], start: datetime, end: datetime
) -> dict[str, Any]:
    """What ``check_availability`` tells the LLM: a sentence and the times with their ids."""
    desk = caller.desk
    phrases = desk.phrases
    if not offers:
        say = NOTHING_FREE.format(
            start=phrases.when(start, desk.zone), end=phrases.when(end, desk.zone)
        )
        return {"status": "none", "say": say, "slots": []}
    options = phrases.options([offered.spoken for offered in offers])
    return {
        "status": "offers",
        "say": phrases.alternatives.format(options=options),
        "slots": [{"id": offered.id, "spoken": offered.spoken} for offered in offers],
    }


def failed_answer(say: str) -> dict[str, Any]:
    return {"status": "failed", "say": say}


# -- one desk per caller --------------------------------------------------------------------


@attrs.define(eq=False)
class CallerDesk:
    """A session's desk, plus what the adapter remembers of the offers it made."""

    desk: BookingDesk
    spoken: dict[str, str] = attrs.field(factory=dict)

    async def offer(self, start: datetime, end: datetime) -> list[OfferedSlot]:
        offers = await self.desk.offer(start, end)
        self.spoken.update((offered.id, offered.spoken) for offered in offers)
        return offers

    def still_booking(self, slot_id: str) -> str:
        """The sentence for a booking still under way (the desk's ``in_progress`` phrase)."""
        when = self.spoken.get(slot_id.strip().upper(), slot_id)
        return self.desk.phrases.in_progress.format(when=when)

    def remember(self, result: DeskResult) -> None:
        for offered in result.alternatives:
            self.spoken[offered.id] = offered.spoken


class DeskSource:
    """A fixed desk, or one desk per session made by a factory on the session's first call.

    Concurrent first calls of one session (an LLM emitting two tool calls at once) share one
    factory call: two desks for one caller could book them twice.
    """

    def __init__(self, desk_or_factory: BookingDesk | DeskFactory) -> None:
        if isinstance(desk_or_factory, BookingDesk):
            self._fixed: CallerDesk | None = CallerDesk(desk_or_factory)
            self._factory: DeskFactory | None = None
        elif callable(desk_or_factory):
            self._fixed = None
            self._factory = desk_or_factory
        else:
            raise TypeError(
                "desk_or_factory must be a BookingDesk or a callable returning one, not "
                f"{type(desk_or_factory).__name__}"
            )
        self._made: weakref.WeakKeyDictionary[Any, asyncio.Future[CallerDesk]] = (
            weakref.WeakKeyDictionary()
        )

    @property
    def fixed(self) -> BookingDesk | None:
        """The desk given directly, if one was."""
        return None if self._fixed is None else self._fixed.desk

    async def get(self, session: object, data: object) -> CallerDesk:
        """The desk of ``session``, making it from ``data`` on first use."""
        if self._fixed is not None:
            return self._fixed
        made = self._made.get(session)
        if made is None:
            made = asyncio.ensure_future(self._make(data))
            self._made[session] = made
            made.add_done_callback(lambda done: self._forget_failure(session, done))
        return await asyncio.shield(made)

    async def _make(self, data: object) -> CallerDesk:
        assert self._factory is not None
        desk = self._factory(data)
        if inspect.isawaitable(desk):
            desk = await desk
        if not isinstance(desk, BookingDesk):
            raise TypeError(f"the desk factory returned {type(desk).__name__}, not a BookingDesk")
        return CallerDesk(desk)

    def _forget_failure(self, session: object, done: asyncio.Future[CallerDesk]) -> None:
        # A failed factory call is tried again on the session's next tool call.
        failed = done.cancelled() or done.exception() is not None
        if failed and self._made.get(session) is done:
            del self._made[session]


def check_seconds(name: str, value: object, *, allow_zero: bool = True) -> float:
    """A finite, non-negative number of seconds (``ValueError`` naming ``name``)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number of seconds, not {type(value).__name__}")
    return check_number(value, name, inclusive=allow_zero)


def entry_id_for(entry_id: EntryIdOf | None, data: object) -> str | None:
    """The ``entry_id`` a booking of this session links to (``None``: no lead)."""
    if entry_id is None:
        return None
    found = entry_id(data)
    if found is not None and not isinstance(found, str):
        raise TypeError(f"entry_id must return a str or None, not {type(found).__name__}")
    return found


def check_filler(filler: object) -> str | None:
    if filler is not None and (not isinstance(filler, str) or not filler.strip()):
        raise TypeError("filler must be a non-empty str, or None for no filler")
    return filler
