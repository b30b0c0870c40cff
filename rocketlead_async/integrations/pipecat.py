"""pipecat tools for safe booking: ``register_booking_tools(llm, desk)`` and
``booking_tools_schema()``.

.. code-block:: python

    from rocketlead_async.integrations.pipecat import booking_tools_schema, register_booking_tools

    register_booking_tools(llm, desk)
    context = LLMContext(messages, tools=booking_tools_schema())

How pipecat runs a function call decides what a caller can lose, so the handlers are built for
it:

- ``mode="sync"`` (pipecat's default kind of call, ``cancel_on_interruption=True``): the LLM
  waits for the booking. A barge-in cancels the handler and pipecat writes ``"CANCELLED"`` as
  the call's result, but the desk lets a POST already sent finish; when the booking settles its
  real outcome is appended to the context as a developer message, and for a booking that exists
  (or may exist: ``unknown``) the LLM is run so the caller hears it.
- ``mode="async"`` (``cancel_on_interruption=False`` for ``book_slot``): the LLM goes on
  talking while the booking runs; progress (recovery events) arrives as intermediate results
  (``FunctionCallResultProperties(is_final=False)``), the outcome as the final one.
  ``check_availability`` is an ordinary call in both modes: the LLM needs the offers.
- Each call's ``timeout_secs`` is the desk's ``budget`` plus ``margin``, so the SDK's own
  honest answer (``unknown``, ``alternatives``) always comes before pipecat's timeout.
- ``filler`` is spoken (``TTSSpeakFrame``) if a booking has run ``filler_delay`` seconds; in sync
  mode recovery events are spoken the same way.
- Duplicate ``book_slot`` calls in one LLM response reach the same :class:`BookingDesk`, which
  joins them into one POST. An ``EndFrame`` (hang-up) cancels every handler; the desk still
  finishes a POST on the wire and its ``on_outcome`` hears the result.

``desk_or_factory`` is a :class:`BookingDesk` or a callable taking the worker's
``app_resources`` (``PipelineWorker(..., app_resources=...)``) and returning that session's desk,
sync or async, called once per pipeline worker on its first tool call; with a factory, say the
desks' ``budget=`` here, since the timeouts are registered before any desk exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Literal

from ..desk import BookingDesk, DeskResult
from ..errors import RocketLeadError
from ._common import (
    BOOK_SLOT,
    CHECK_AVAILABILITY,
    DEFAULT_FILLER,
    LOOKUP_FAILED,
    TOOL_HELP,
    TOOL_PARAMETERS,
    BadToolCall,
    CallerDesk,
    DeskFactory,
    DeskSource,
    EntryIdOf,
    check_filler,
    check_seconds,
    entry_id_for,
    failed_answer,
    missing_framework,
    offers_answer,
    parse_booking,
    parse_window,
)

try:
    from pipecat.adapters.llm.schemas.function_schema import FunctionSchema
    from pipecat.adapters.llm.schemas.tools_schema import ToolsSchema
    from pipecat.frames.frames import (
        FunctionCallResultProperties,
        LLMMessagesAppendFrame,
        TTSSpeakFrame,
    )
    from pipecat.services.llm_service import FunctionCallParams, LLMService
except ImportError as missing:
    raise missing_framework("pipecat", "pipecat-ai", "pipecat") from missing

__all__ = ["DEFAULT_FILLER", "booking_tools_schema", "register_booking_tools"]

logger = logging.getLogger("rocketlead_async")

Mode = Literal["sync", "async"]

LATE_OUTCOME = (
    "The {tool} call {call_id} was cut short before its result reached you, but the booking "
    "went on and has now settled. This is its real result, replacing any 'CANCELLED' above: "
    "{result}. Tell the caller what 'say' says. Do not book this caller again unless they ask."
)
"""The developer message that carries a cancelled call's real outcome into the context."""


def booking_tools_schema() -> ToolsSchema:
    """The ``check_availability`` and ``book_slot`` schemas, for ``LLMContext(tools=...)``."""
    return ToolsSchema(standard_tools=[_schema(CHECK_AVAILABILITY), _schema(BOOK_SLOT)])


def _schema(name: str) -> FunctionSchema:
    properties, required = TOOL_PARAMETERS[name]
    return FunctionSchema(
        name=name, description=TOOL_HELP[name], properties=properties, required=list(required)
    )


def register_booking_tools(
    llm: LLMService,
    desk_or_factory: BookingDesk | DeskFactory,
    *,
    mode: Mode = "sync",
    filler: str | None = DEFAULT_FILLER,
    margin: float = 2.0,
    filler_delay: float = 1.0,
    budget: float | None = None,
    entry_id: EntryIdOf | None = None,
) -> None:
    """Register the ``check_availability`` and ``book_slot`` handlers on ``llm`` (see the
    module doc). ``budget`` is needed with a factory, and must match a given desk's.
    ``entry_id`` takes the worker's ``app_resources`` and returns the lead id to link each
    booking to."""
    source = DeskSource(desk_or_factory)
    if mode not in ("sync", "async"):
        raise ValueError(f"mode must be 'sync' or 'async', not {mode!r}")
    filler = check_filler(filler)
    margin = check_seconds("margin", margin)
    filler_delay = check_seconds("filler_delay", filler_delay)
    fixed = source.fixed
    if fixed is not None:
        if budget is not None and budget != fixed.budget:
            raise ValueError(f"budget={budget!r} differs from the desk's budget {fixed.budget!r}")
        budget = fixed.budget
    elif budget is None:
        raise ValueError("with a desk factory, pass budget= (the desks' budget in seconds)")
    budget = check_seconds("budget", budget, allow_zero=False)
    tools = _Handlers(
        source,
        mode=mode,
        filler=filler,
        filler_delay=filler_delay,
        budget=budget,
        entry_id=entry_id,
    )
    # A lookup stays an ordinary call in both modes: the LLM needs the offers to go on, and
    # cancelling a GET loses nothing.
    llm.register_function(
        CHECK_AVAILABILITY,
        tools.check_availability,
        cancel_on_interruption=True,
        timeout_secs=budget + margin,
        cancellable_by_llm=False,
    )
    llm.register_function(
        BOOK_SLOT,
        tools.book,
        cancel_on_interruption=mode == "sync",
        timeout_secs=budget + margin,
        cancellable_by_llm=False,
    )


class _Handlers:
    """The two function-call handlers of one ``register_booking_tools`` call."""

    def __init__(
        self,
        source: DeskSource,
        *,
        mode: Mode,
        filler: str | None,
        filler_delay: float,
        budget: float,
        entry_id: EntryIdOf | None,
    ) -> None:
        self._source = source
        self._entry_id = entry_id
        self._mode = mode
        self._filler = filler
        self._filler_delay = filler_delay
        self._budget = budget

    async def _caller(self, params: FunctionCallParams) -> CallerDesk:
        caller = await self._source.get(params.pipeline_worker, params.app_resources)
        if caller.desk.budget > self._budget:
            logger.warning(
                "a desk's budget (%.1fs) exceeds the budget= its pipecat tools were registered "
                "with (%.1fs): pipecat may time a booking out before the SDK answers",
                caller.desk.budget,
                self._budget,
            )
        return caller

    async def check_availability(self, params: FunctionCallParams) -> None:
        caller = await self._caller(params)
        arguments = params.arguments
        try:
            window = parse_window(arguments.get("start"), arguments.get("end"), caller.desk.zone)
        except BadToolCall as bad:
            await params.result_callback(failed_answer(str(bad)))
            return
        try:
            offers = await caller.offer(*window)
        except RocketLeadError:
            await params.result_callback(failed_answer(LOOKUP_FAILED))
            return
        await params.result_callback(offers_answer(caller, offers, *window))

    async def book(self, params: FunctionCallParams) -> None:
        caller = await self._caller(params)
        arguments = params.arguments
        try:
            slot_id, name = parse_booking(arguments.get("slot_id"), arguments.get("name"))
        except BadToolCall as bad:
            await params.result_callback(failed_answer(str(bad)))
            return
        async with self._filling(params):
            result = await caller.desk.book(
                slot_id,
                name=name,
                entry_id=entry_id_for(self._entry_id, params.app_resources),
                on_progress=self._progress(params),
                on_late=lambda late: _deliver_late(params, late),
            )
        caller.remember(result)
        await params.result_callback(result.for_llm())

    def _progress(self, params: FunctionCallParams) -> Callable[[str], Awaitable[None]]:
        if self._mode == "async":

            async def report(sentence: str) -> None:
                await params.result_callback(
                    {"status": "in_progress", "say": sentence},
                    properties=FunctionCallResultProperties(is_final=False),
                )

            return report

        async def speak(sentence: str) -> None:
            await params.llm.push_frame(TTSSpeakFrame(sentence))

        return speak

    @contextlib.asynccontextmanager
    async def _filling(self, params: FunctionCallParams) -> AsyncIterator[None]:
        if self._filler is None:
            yield
            return
        filler = self._filler

        async def speak_later() -> None:
            await asyncio.sleep(self._filler_delay)
            await params.llm.push_frame(TTSSpeakFrame(filler))

        task = asyncio.ensure_future(speak_later())
        try:
            yield
        finally:
            task.cancel()


async def _deliver_late(params: FunctionCallParams, result: DeskResult) -> None:
    """A cancelled call's booking settled: put its real outcome into the context."""
    answer = json.dumps(result.for_llm(), ensure_ascii=False)
    note = LATE_OUTCOME.format(
        tool=params.function_name, call_id=params.tool_call_id, result=answer
    )
    # Written straight into the shared context, so no interruption can drop it in a queue.
    params.context.add_message({"role": "developer", "content": note})
    if result.status not in ("booked", "unknown"):
        return  # nothing was booked: the next turn knows, no need to speak up now
    try:
        # An empty append with run_llm: pipecat's own rules decide when (not while the caller
        # or the bot is speaking) the LLM answers it.
        await params.llm.push_frame(LLMMessagesAppendFrame(messages=[], run_llm=True))
    except Exception:  # the pipeline may be gone (the caller hung up): on_outcome has it
        logger.debug("could not ask the LLM to announce a late booking outcome", exc_info=True)
