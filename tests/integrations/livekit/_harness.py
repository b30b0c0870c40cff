"""A scripted LLM inside a real LiveKit ``AgentSession``: the framework's own tool execution,
chat context and deferred replies, with no network and no model.

``ScriptedLLM(script)`` calls ``script(chat_ctx)`` for every LLM request the session makes and
streams back the :class:`Reply` (text and tool calls). ``contexts`` keeps a copy of every chat
context it was shown, so a test can ask what the model knew on each turn.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from livekit.agents import Agent, AgentSession, llm
from livekit.agents.llm import ChatChunk, ChatContext, ChoiceDelta, FunctionToolCall
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, APIConnectOptions

from tests.helpers.integrations import LIMIT


@dataclass
class Reply:
    text: str = ""
    calls: Sequence[FunctionToolCall] = field(default_factory=tuple)


def call(tool: str, call_id: str, /, **arguments: Any) -> FunctionToolCall:
    return FunctionToolCall(name=tool, arguments=json.dumps(arguments), call_id=call_id)


Script = Callable[[ChatContext], Reply]


class _Stream(llm.LLMStream):
    def __init__(self, owner: ScriptedLLM, reply: Reply, **kwargs: Any) -> None:
        super().__init__(owner, **kwargs)
        self._reply = reply

    async def _run(self) -> None:
        delta = ChoiceDelta(
            role="assistant", content=self._reply.text or None, tool_calls=list(self._reply.calls)
        )
        self._event_ch.send_nowait(ChatChunk(id="scripted", delta=delta))


class ScriptedLLM(llm.LLM[Any]):
    def __init__(self, script: Script) -> None:
        super().__init__()
        self._script = script
        self.contexts: list[ChatContext] = []
        self.errors: list[BaseException] = []

    def chat(
        self,
        *,
        chat_ctx: ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        **_: Any,
    ) -> llm.LLMStream:
        self.contexts.append(chat_ctx.copy())
        try:
            reply = self._script(chat_ctx)
        except Exception as error:  # a broken script fails the test, never hangs the session
            self.errors.append(error)
            reply = Reply()
        return _Stream(
            self,
            reply,
            chat_ctx=chat_ctx,
            tools=tools or [],
            conn_options=conn_options,
        )


@asynccontextmanager
async def running(
    model: ScriptedLLM, tools: list[Any] | Agent, *, userdata: Any = None
) -> AsyncIterator[AgentSession[Any]]:
    """A started text-only session (no VAD, STT or TTS) with an agent holding ``tools`` (or
    the agent given)."""
    kwargs: dict[str, Any] = {} if userdata is None else {"userdata": userdata}
    session: AgentSession[Any] = AgentSession(llm=model, vad=None, **kwargs)
    agent = tools if isinstance(tools, Agent) else Agent(instructions="You book.", tools=tools)
    await session.start(agent)
    try:
        yield session
    finally:
        await asyncio.wait_for(session.aclose(), LIMIT)
    if model.errors:
        raise model.errors[0]


async def turn(session: AgentSession[Any], text: str) -> None:
    """One user turn, run to the end (tools, replies) within ``LIMIT``."""
    await asyncio.wait_for(session.run(user_input=text), LIMIT)


# -- reading the chat context ---------------------------------------------------------------


def outputs(ctx: ChatContext, name: str | None = None) -> list[Any]:
    """The function-call outputs in ``ctx`` (of tool ``name``), oldest first."""
    return [
        item
        for item in ctx.items
        if item.type == "function_call_output" and (name is None or item.name == name)
    ]


def answer(item: Any) -> dict[str, Any]:
    """A tool output as the dict the adapter returned (its JSON), or {} for an update/error."""
    try:
        parsed = json.loads(item.output)
    except (TypeError, ValueError):
        return {}
    return parsed if isinstance(parsed, dict) else {}


def said(session: AgentSession[Any]) -> list[str]:
    """Everything the agent said, in order (assistant messages of the session history)."""
    return [
        item.text_content or ""
        for item in session.history.items
        if item.type == "message" and item.role == "assistant"
    ]


def last_user(ctx: ChatContext) -> str:
    users = [i for i in ctx.items if i.type == "message" and i.role == "user"]
    return (users[-1].text_content or "") if users else ""


def is_fresh_user_turn(ctx: ChatContext) -> bool:
    last = ctx.items[-1]
    return last.type == "message" and last.role == "user"
