"""examples/livekit_agent.py, run as written, with the scripted LLM in place of the real one."""

from __future__ import annotations

from typing import Any

from livekit.agents.llm import ChatContext, ChatMessage

from rocketlead_async.testing import FakeRocketLead
from tests.helpers.demo import bookings_named
from tests.helpers.integrations import BOOKED_FIRST, WINDOW, load_example

from ._harness import (
    Reply,
    ScriptedLLM,
    answer,
    call,
    is_fresh_user_turn,
    outputs,
    running,
    said,
    turn,
)

example = load_example("livekit_agent")


async def test_the_example_agent_offers_and_books(
    example_desk: Any, gated_fake: FakeRocketLead
) -> None:
    desk = await example_desk(example)

    def caller_and_model(ctx: ChatContext) -> Reply:
        instructions = ctx.items[0]
        assert isinstance(instructions, ChatMessage)
        assert (instructions.text_content or "").startswith(
            "You are the friendly phone receptionist"
        )
        if is_fresh_user_turn(ctx):
            start, end = WINDOW
            return Reply(calls=[call("check_availability", "a1", start=start, end=end)])
        last = outputs(ctx)[-1]
        if last.name == "check_availability":
            return Reply(calls=[call("book_slot", "b1", slot_id="S1", name="Jane")])
        return Reply(answer(last)["say"])

    agent = example.booking_agent()
    async with running(
        ScriptedLLM(caller_and_model), agent, userdata=example.Call(desk)
    ) as session:
        await turn(session, "Wednesday afternoon, please")
        assert said(session) == [BOOKED_FIRST]
    assert len(bookings_named(gated_fake, "Jane")) == 1
