"""LiveKit Agents tools for safe booking: ``booking_tools(desk_or_factory)``.

.. code-block:: python

    from rocketlead_async.integrations.livekit import booking_tools

    agent = Agent(instructions=..., tools=booking_tools(desk))

How LiveKit runs a tool decides what a caller can lose, so the tools are built for it:

- They are never ``ToolFlag.CANCELLABLE``: LiveKit then shields and awaits them through a
  barge-in and at session close, so a booking POST on the wire is never cut off
  (``on_duplicate="replace"``, which cancels a running call, is refused for the same reason).
- A barge-in does not cancel the booking, but an ordinary tool's late result is only written to
  the chat history, never spoken. So a booking still running after ``async_after`` seconds
  turns into LiveKit's async-tool mode (``ctx.update``): the agent tells the caller it is still
  booking, and the real result is spoken as a deferred reply, also after a barge-in.
- Duplicate ``book_slot`` calls in one LLM turn reach the same :class:`BookingDesk`, which
  joins them into one POST.
- ``progress`` chooses how recovery events ("that time was just taken…") reach the caller:
  ``"say"`` speaks them at once (``session.say``), ``"update"`` hands them to the LLM as tool
  updates (``ctx.update``, which also switches the call to async mode), ``"off"`` keeps quiet.
- ``filler`` is said once if the booking has run ``filler_delay`` seconds with the agent idle
  (``ctx.with_filler``).
- A ``failed`` booking raises ``ToolError`` with the sentence to say; every other result is the
  desk's ``for_llm()`` answer, as JSON.

``desk_or_factory`` is a :class:`BookingDesk` (one caller: one session per process, as LiveKit
jobs run) or a callable taking the session's ``userdata`` (``None`` if unset) and returning the
session's desk, sync or async; it is called once per session, on the first tool call.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Annotated, Any

from ..desk import BookingDesk, DeskResult
from ..errors import RocketLeadError
from ._common import (
    BOOK_SLOT,
    CHECK_AVAILABILITY,
    DEFAULT_FILLER,
    END_HELP,
    LOOKUP_FAILED,
    NAME_HELP,
    SLOT_ID_HELP,
    START_HELP,
    TOOL_HELP,
    BadToolCall,
    CallerDesk,
    DeskFactory,
    DeskSource,
    EntryIdOf,
    ProgressMode,
    check_filler,
    check_seconds,
    entry_id_for,
    missing_framework,
    offers_answer,
    parse_booking,
    parse_window,
)

try:
    from livekit.agents import FunctionTool, RunContext, ToolError, function_tool
    from pydantic import Field  # a livekit-agents dependency
except ImportError as missing:
    raise missing_framework("livekit.agents", "livekit-agents", "livekit") from missing

__all__ = ["DEFAULT_FILLER", "booking_tools"]

_REPLACE_REFUSED = (
    "on_duplicate='replace' is refused: it cancels the running book_slot call, and a cancelled "
    "booking POST may already have booked the caller. These tools are never CANCELLABLE, so "
    "LiveKit would fail each duplicate call with an error instead. Duplicate calls are safe as "
    "they are: the BookingDesk joins them into one booking."
)


def booking_tools(
    desk_or_factory: BookingDesk | DeskFactory,
    *,
    filler: str | None = DEFAULT_FILLER,
    progress: ProgressMode = "say",
    async_after: float = 2.0,
    filler_delay: float = 1.0,
    on_duplicate: str = "allow",
    entry_id: EntryIdOf | None = None,
) -> list[FunctionTool]:
    """The ``check_availability`` and ``book_slot`` function tools over a desk (see the
    module doc for what each option does). ``on_duplicate`` is LiveKit's own (``"allow"``,
    ``"reject"`` or ``"confirm"``) for ``book_slot``; ``"replace"`` is refused. ``entry_id``
    takes the session's ``userdata`` and returns the lead id to link each booking to."""
    source = DeskSource(desk_or_factory)
    filler = check_filler(filler)
    if progress not in ("say", "update", "off"):
        raise ValueError(f"progress must be 'say', 'update' or 'off', not {progress!r}")
    async_after = check_seconds("async_after", async_after)
    filler_delay = check_seconds("filler_delay", filler_delay)
    if on_duplicate == "replace":
        raise ValueError(_REPLACE_REFUSED)
    if on_duplicate not in ("allow", "reject", "confirm"):
        raise ValueError(
            f"on_duplicate must be 'allow', 'reject' or 'confirm', not {on_duplicate!r}"
        )

    async def check_availability(
        ctx: RunContext,
        start: Annotated[str, Field(description=START_HELP)],
        end: Annotated[str | None, Field(description=END_HELP)] = None,
    ) -> str:
        caller = await _caller(source, ctx)
        try:
            window = parse_window(start, end, caller.desk.zone)
        except BadToolCall as bad:
            raise ToolError(str(bad)) from None
        try:
            offers = await caller.offer(*window)
        except RocketLeadError:
            raise ToolError(LOOKUP_FAILED) from None
        return json.dumps(offers_answer(caller, offers, *window))

    async def book_slot(
        ctx: RunContext,
        slot_id: Annotated[str, Field(description=SLOT_ID_HELP)],
        name: Annotated[str | None, Field(description=NAME_HELP)] = None,
    ) -> str:
        caller = await _caller(source, ctx)
        try:
            slot_id, name = parse_booking(slot_id, name)
        except BadToolCall as bad:
            raise ToolError(str(bad)) from None
        booking = asyncio.ensure_future(
            caller.desk.book(
                slot_id,
                name=name,
                entry_id=entry_id_for(entry_id, _userdata(ctx)),
                on_progress=_progress_hook(ctx, progress),
            )
        )
        try:
            async with _filler(ctx, filler, filler_delay):
                done, _ = await asyncio.wait({booking}, timeout=async_after)
            if not done:
                # From here on the result is a deferred reply: spoken even after a barge-in.
                await ctx.update(caller.still_booking(slot_id))
            result = await booking
        except asyncio.CancelledError:
            # The desk keeps a POST already sent going and reports it to on_outcome.
            booking.cancel()
            raise
        return _answer(caller, result)

    return [
        function_tool(
            check_availability,
            name=CHECK_AVAILABILITY,
            description=TOOL_HELP[CHECK_AVAILABILITY],
        ),
        function_tool(
            book_slot,
            name=BOOK_SLOT,
            description=TOOL_HELP[BOOK_SLOT],
            on_duplicate=on_duplicate,
        ),
    ]


async def _caller(source: DeskSource, ctx: Any) -> CallerDesk:
    if source.fixed is not None:
        return await source.get(None, None)
    return await source.get(ctx.session, _userdata(ctx))


def _userdata(ctx: Any) -> Any:
    try:
        return ctx.userdata
    except ValueError:  # LiveKit raises when the session has no userdata
        return None


def _progress_hook(ctx: Any, progress: ProgressMode) -> Any:
    if progress == "say":

        def say(sentence: str) -> None:
            ctx.session.say(sentence)

        return say
    if progress == "update":

        async def update(sentence: str) -> None:
            await ctx.update(sentence)

        return update
    return None


@contextlib.asynccontextmanager
async def _filler(ctx: Any, filler: str | None, delay: float) -> AsyncIterator[None]:
    if filler is None:
        yield
        return
    async with ctx.with_filler(filler, delay=delay):
        yield


def _answer(caller: CallerDesk, result: DeskResult) -> str:
    caller.remember(result)
    if result.status == "failed":
        raise ToolError(result.spoken)
    return json.dumps(result.for_llm())
