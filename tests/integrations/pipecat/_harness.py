"""A scripted LLM service in a real pipecat pipeline: the framework's own
``run_function_calls()``, context aggregators, interruptions and timeouts, with no network and
no model.

``ScriptedLLM(script)`` answers every ``LLMContextFrame`` with ``script(messages)``'s
:class:`Reply` (text, then tool calls run through ``run_function_calls``); ``contexts`` keeps a
copy of the messages of every inference. :class:`Bot` runs ``[user aggregator, llm, recorder,
assistant aggregator]`` in a ``PipelineWorker`` and records what would be spoken.
"""

from __future__ import annotations

import asyncio
import copy
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from pipecat.frames.frames import (
    EndFrame,
    Frame,
    FunctionCallFromLLM,
    InterruptionFrame,
    LLMContextFrame,
    LLMFullResponseEndFrame,
    LLMFullResponseStartFrame,
    LLMMessagesAppendFrame,
    LLMTextFrame,
    TTSSpeakFrame,
)
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext, LLMContextMessage
from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair
from pipecat.processors.frame_processor import FrameDirection, FrameProcessor
from pipecat.services.llm_service import LLMService
from pipecat.services.settings import LLMSettings
from pipecat.workers.runner import WorkerRunner

from tests.helpers.integrations import LIMIT

Message = dict[str, Any]


@dataclass
class Reply:
    text: str = ""
    calls: Sequence[tuple[str, str, dict[str, Any]]] = field(default_factory=tuple)
    """``(function name, tool call id, arguments)`` of each tool call."""


Script = Callable[[list[Message]], Reply]


class ScriptedLLM(LLMService):
    def __init__(self, script: Script, **kwargs: Any) -> None:
        settings = LLMSettings(
            model=None,
            system_instruction=None,
            temperature=None,
            max_tokens=None,
            top_p=None,
            top_k=None,
            frequency_penalty=None,
            presence_penalty=None,
            seed=None,
            filter_incomplete_user_turns=None,
            user_turn_completion_config=None,
        )
        super().__init__(settings=settings, **kwargs)
        self._script = script
        self.contexts: list[list[Message]] = []
        self.errors: list[BaseException] = []

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if not isinstance(frame, LLMContextFrame):
            await self.push_frame(frame, direction)
            return
        messages = plain(frame.context.get_messages())
        self.contexts.append(messages)
        try:
            reply = self._script(messages)
        except Exception as error:  # a broken script fails the test, never hangs the bot
            self.errors.append(error)
            reply = Reply()
        await self.push_frame(LLMFullResponseStartFrame())
        if reply.text:
            await self.push_frame(LLMTextFrame(reply.text))
        await self.push_frame(LLMFullResponseEndFrame())
        if reply.calls:
            await self.run_function_calls(
                [
                    FunctionCallFromLLM(
                        function_name=name,
                        tool_call_id=call_id,
                        arguments=arguments,
                        context=frame.context,
                    )
                    for name, call_id, arguments in reply.calls
                ]
            )


class _Recorder(FrameProcessor):
    """Notes what reaches the speaker: the LLM's text and ``TTSSpeakFrame``s."""

    def __init__(self) -> None:
        super().__init__()
        self.spoken: list[str] = []

    async def process_frame(self, frame: Frame, direction: FrameDirection) -> None:
        await super().process_frame(frame, direction)
        if (
            isinstance(frame, (LLMTextFrame, TTSSpeakFrame))
            and direction is FrameDirection.DOWNSTREAM
        ):
            self.spoken.append(frame.text)
        await self.push_frame(frame, direction)


class Bot:
    """One call: a pipeline around ``llm`` sharing ``context``, run until :meth:`hang_up`."""

    def __init__(self, llm: ScriptedLLM, *, app_resources: Any = None) -> None:
        self.llm = llm
        self.context = LLMContext()
        user, assistant = LLMContextAggregatorPair(self.context)
        self._recorder = _Recorder()
        self.worker = PipelineWorker(
            Pipeline([user, llm, self._recorder, assistant]),
            cancel_on_idle_timeout=False,
            app_resources=app_resources,
        )
        self._runner = WorkerRunner()
        self._run: asyncio.Task[None] | None = None

    @property
    def spoken(self) -> list[str]:
        return self._recorder.spoken

    async def __aenter__(self) -> Bot:
        started = asyncio.Event()

        async def _started(_worker: Any, _frame: Any) -> None:
            started.set()

        self.worker.add_event_handler("on_pipeline_started", _started)
        await self._runner.add_workers(self.worker)
        self._run = asyncio.ensure_future(self._runner.run())
        await asyncio.wait_for(started.wait(), LIMIT)
        return self

    async def __aexit__(self, *_exc: object) -> None:
        await self.hang_up()
        if self.llm.errors:
            raise self.llm.errors[0]

    async def user(self, text: str) -> None:
        """The caller says ``text`` (the LLM runs on it)."""
        message: LLMContextMessage = {"role": "user", "content": text}
        await self.worker.queue_frame(LLMMessagesAppendFrame(messages=[message], run_llm=True))

    async def interrupt(self) -> None:
        """The caller talks over the bot."""
        await self.worker.queue_frame(InterruptionFrame())

    async def hang_up(self) -> None:
        """End the call (``EndFrame``) and wait for the pipeline to stop."""
        if self._run is None:
            return
        run, self._run = self._run, None
        await self.worker.queue_frame(EndFrame())
        await asyncio.wait_for(run, LIMIT)


# -- reading messages -----------------------------------------------------------------------


def plain(messages: Sequence[object]) -> list[Message]:
    """Copies of the chat messages (the dicts) among a context's messages."""
    return [copy.deepcopy(m) for m in messages if isinstance(m, dict)]


_JSON = re.compile(r"\{.*\}", re.DOTALL)


def answers(messages: list[Message]) -> list[dict[str, Any]]:
    """Every tool answer (a dict with ``status``) in the messages, oldest first: tool results,
    async-tool updates and late-outcome developer notes alike."""
    found: list[dict[str, Any]] = []
    for message in messages:
        content = message.get("content")
        if isinstance(content, str):
            found.extend(_answers_in(content))
    return found


def _answers_in(text: str) -> list[dict[str, Any]]:
    match = _JSON.search(text)
    if match is None:
        return []
    try:
        value = json.loads(match.group(0))
    except ValueError:
        return []
    return list(_walk(value))


def _walk(value: Any) -> Any:
    if isinstance(value, dict):
        if "status" in value and "say" in value:
            yield value
            return
        for inner in value.values():
            yield from _walk(inner)
    elif isinstance(value, str):
        yield from _answers_in(value)


def tool_results(messages: Sequence[object], call_id: str) -> list[Any]:
    """The results tool call ``call_id`` got in ``messages``, oldest first."""
    return [m.get("content") for m in plain(messages) if m.get("tool_call_id") == call_id]


def last_user(messages: list[Message]) -> str | None:
    """The text of the last message if the caller said it, else None."""
    last = messages[-1] if messages else {}
    return last.get("content") if last.get("role") == "user" else None
