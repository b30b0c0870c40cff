"""examples/livekit_agent.py, run as written, with the scripted LLM in place of the real one."""

from __future__ import annotations

import pytest
from livekit.agents.llm import ChatContext

import rocketlead_async as rl
from rocketlead_async.testing import FakeRocketLead

from .._examples import load
from .._support import BOOKED_FIRST, WINDOW, bookings_of
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

example = load("livekit_agent")


async def test_the_example_agent_offers_and_books(
    client: rl.RocketLeadClient, fake: FakeRocketLead, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ROCKETLEAD_CALENDAR_ID", fake.demo.mitte_calendar_id)
    monkeypatch.setenv("ROCKETLEAD_APPOINTMENT_TYPE_ID", fake.demo.personal_training_type_id)
    desk = await example.open_desk(client)

    def caller_and_model(ctx: ChatContext) -> Reply:
        assert ctx.items[0].text_content.startswith("You are the friendly phone receptionist")
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
    assert len(bookings_of(fake, "Jane")) == 1
