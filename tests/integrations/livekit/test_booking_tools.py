"""booking_tools() through LiveKit's real tool execution: a scripted LLM in an AgentSession,
booking against FakeRocketLead."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from livekit.agents import RunResult
from livekit.agents.llm import ChatContext, ToolFlag

from rocketlead_async.desk import BookingDesk, DeskResult
from rocketlead_async.integrations.livekit import booking_tools
from rocketlead_async.testing import FakeRocketLead, Fault
from tests.helpers.demo import BOOKINGS, bookings_named
from tests.helpers.integrations import (
    BOOKED_FIRST,
    FIRST_OFFER,
    LIMIT,
    TAKEN,
    WINDOW,
    MakeDesk,
    PostGate,
    offered,
)
from tests.helpers.recorders import until

from ._harness import (
    Reply,
    ScriptedLLM,
    answer,
    call,
    is_fresh_user_turn,
    last_user,
    outputs,
    running,
    said,
    turn,
)

START, END = WINDOW


def agent_script(*book_calls: str, name: str = "Jane") -> Any:
    """An LLM that books S1 on "book" (one ``book_slot`` call per id in ``book_calls``), says
    every tool answer's ``say``, and on "did it work?" reports what its context holds."""

    def script(ctx: ChatContext) -> Reply:
        if is_fresh_user_turn(ctx):
            if last_user(ctx) == "book":
                calls = [call("book_slot", f"b{i}", slot_id="S1", name=name) for i in book_calls]
                return Reply(calls=calls)
            booked = [answer(o) for o in outputs(ctx, "book_slot") if answer(o).get("booking_id")]
            return Reply(f"known: {booked[-1]['say']}" if booked else "known: nothing")
        out = outputs(ctx)
        return Reply(answer(out[-1]).get("say", "") if out else "")

    return script


def test_tools_are_never_cancellable_and_refuse_replace(voice_desk: BookingDesk) -> None:
    tools = booking_tools(voice_desk)
    assert [t.info.name for t in tools] == ["check_availability", "book_slot"]
    assert all(ToolFlag.CANCELLABLE not in t.info.flags for t in tools)
    with pytest.raises(ValueError, match="cancels the running book_slot call") as refused:
        booking_tools(voice_desk, on_duplicate="replace")
    # what LiveKit does instead with a tool that is not CANCELLABLE (tool_executor.py)
    assert "fail each duplicate call with an error" in str(refused.value)


async def test_offer_then_book_in_one_conversation(
    voice_desk: BookingDesk, gated_fake: FakeRocketLead
) -> None:
    def script(ctx: ChatContext) -> Reply:
        if is_fresh_user_turn(ctx):
            return Reply(calls=[call("check_availability", "a1", start=START, end=END)])
        last = outputs(ctx)[-1]
        if last.name == "check_availability":
            first = answer(last)["slots"][0]["id"]
            return Reply(calls=[call("book_slot", "b1", slot_id=first, name="Jane")])
        return Reply(answer(last)["say"])

    async with running(ScriptedLLM(script), booking_tools(voice_desk)) as session:
        await turn(session, "I'd like an appointment on Wednesday afternoon")
        assert said(session) == [BOOKED_FIRST]
    assert len(bookings_named(gated_fake, "Jane")) == 1


async def test_duplicate_calls_in_one_turn_make_one_booking(
    voice_desk: BookingDesk, gated_fake: FakeRocketLead
) -> None:
    await offered(voice_desk)
    model = ScriptedLLM(agent_script("1", "2"))
    async with running(model, booking_tools(voice_desk)) as session:
        await turn(session, "book")
        answers = [answer(o) for o in outputs(session.history, "book_slot")]
    assert gated_fake.request_count(BOOKINGS) == 1
    assert len(bookings_named(gated_fake, "Jane")) == 1
    assert [a["status"] for a in answers] == ["booked", "booked"]
    assert answers[0]["booking_id"] == answers[1]["booking_id"]


async def test_barge_in_mid_booking_the_next_turn_knows(
    voice_desk: BookingDesk, gated_fake: FakeRocketLead, post_gate: PostGate
) -> None:
    await offered(voice_desk)
    model = ScriptedLLM(agent_script("1"))
    async with running(model, booking_tools(voice_desk, async_after=60, filler=None)) as session:
        post_gate.close()
        run: RunResult[None] = session.run(user_input="book")
        await asyncio.wait_for(post_gate.arrived.wait(), LIMIT)
        await session.interrupt(force=True)  # the caller talks over the agent
        post_gate.open()
        await asyncio.wait_for(run, LIMIT)
        await until(
            lambda: bool(outputs(session.history, "book_slot")), what="the late book_slot output"
        )
        # An ordinary tool's late result goes to the chat context, unspoken ...
        assert BOOKED_FIRST not in said(session)
        await turn(session, "did it work?")
        # ... so the next turn is where the LLM learns it.
        assert said(session)[-1] == f"known: {BOOKED_FIRST}"
    assert len(bookings_named(gated_fake, "Jane")) == 1


async def test_a_long_booking_is_spoken_after_a_barge_in(
    voice_desk: BookingDesk, gated_fake: FakeRocketLead, post_gate: PostGate
) -> None:
    await offered(voice_desk)
    model = ScriptedLLM(agent_script("1"))
    tools = booking_tools(voice_desk, async_after=0.05, filler=None)
    async with running(model, tools) as session:
        post_gate.close()
        run: RunResult[None] = session.run(user_input="book")
        await asyncio.wait_for(post_gate.arrived.wait(), LIMIT)
        # past async_after the call reports "still booking" and hands the floor back
        await until(
            lambda: any("still booking" in o.output for o in outputs(session.history)),
            what="the 'still booking' update",
        )
        await session.interrupt(force=True)
        post_gate.open()
        await asyncio.wait_for(run, LIMIT)
        await until(lambda: BOOKED_FIRST in said(session), what="the booking to be spoken")
    assert len(bookings_named(gated_fake, "Jane")) == 1


async def test_session_end_mid_booking_reaches_on_outcome(
    voice_desk: BookingDesk,
    gated_fake: FakeRocketLead,
    post_gate: PostGate,
    desk_outcomes: list[DeskResult],
) -> None:
    await offered(voice_desk)
    model = ScriptedLLM(agent_script("1"))
    async with running(model, booking_tools(voice_desk, async_after=60, filler=None)) as session:
        post_gate.close()
        session.run(user_input="book")
        await asyncio.wait_for(post_gate.arrived.wait(), LIMIT)
        closing = asyncio.ensure_future(session.aclose())  # the caller hangs up
        await asyncio.sleep(0)
        post_gate.open()
        await asyncio.wait_for(closing, LIMIT)
    assert [o.status for o in desk_outcomes] == ["booked"]
    assert desk_outcomes[0].booking is not None
    assert bookings_named(gated_fake, "Jane") == [desk_outcomes[0].booking.id]


@pytest.mark.parametrize("progress", ["say", "update", "off"])
async def test_progress_takes_the_chosen_channel_when_the_slot_is_taken(
    voice_desk: BookingDesk,
    gated_fake: FakeRocketLead,
    desk_outcomes: list[DeskResult],
    progress: str,
) -> None:
    await offered(voice_desk)
    gated_fake.race_next_bookings(1)
    model = ScriptedLLM(agent_script("1"))
    async with running(model, booking_tools(voice_desk, progress=progress, filler=None)) as session:  # type: ignore[arg-type]
        await turn(session, "book")
        await until(
            lambda: bool(desk_outcomes) and desk_outcomes[0].spoken in said(session),
            what="the outcome to be spoken",
        )
        heard = said(session)
    updates = [o.output for o in outputs(model.contexts[-1], "book_slot")]
    if progress == "say":
        assert TAKEN in heard
    elif progress == "update":  # the LLM was given the update, and the final result after it
        assert any(TAKEN in u for u in updates)
    else:  # only the final result reaches the caller
        assert TAKEN not in heard
        assert not any(TAKEN in u for u in updates)
    assert desk_outcomes[0].recovered
    assert len(bookings_named(gated_fake, "Jane")) == 1


async def test_the_budget_bounds_a_hanging_booking(
    make_voice_desk: MakeDesk, gated_fake: FakeRocketLead
) -> None:
    desk = make_voice_desk(budget=1.0)
    await offered(desk)
    gated_fake.faults.add(BOOKINGS, Fault.latency(5.0, commit=True))
    model = ScriptedLLM(agent_script("1"))
    async with running(model, booking_tools(desk, async_after=60, filler=None)) as session:
        await turn(session, "book")
        # The desk's budget answered: the 5 s POST, had the turn waited for it, would have
        # committed and been spoken as booked.
        assert said(session) == [desk.phrases.unknown.format(when=FIRST_OFFER)]


async def test_filler_is_said_while_a_booking_waits(
    voice_desk: BookingDesk, post_gate: PostGate
) -> None:
    await offered(voice_desk)
    model = ScriptedLLM(agent_script("1"))
    tools = booking_tools(voice_desk, async_after=60, filler="Hang on.", filler_delay=0.05)
    async with running(model, tools) as session:
        post_gate.close()
        run: RunResult[None] = session.run(user_input="book")
        await until(lambda: "Hang on." in said(session), what="the filler")
        post_gate.open()
        await asyncio.wait_for(run, LIMIT)
        assert said(session) == ["Hang on.", BOOKED_FIRST]


async def test_a_failed_booking_is_a_tool_error_with_the_sentence(voice_desk: BookingDesk) -> None:
    model = ScriptedLLM(agent_script("1"))  # S1 was never offered by this voice_desk
    async with running(model, booking_tools(voice_desk)) as session:
        await turn(session, "book")
        (out,) = outputs(session.history, "book_slot")
    assert out.is_error
    assert "I don't have a time called S1" in out.output


async def test_a_factory_makes_one_desk_per_session(
    make_voice_desk: MakeDesk, gated_fake: FakeRocketLead
) -> None:
    made: list[tuple[str, BookingDesk]] = []

    async def factory(userdata: str) -> BookingDesk:
        desk = make_voice_desk()
        await offered(desk)
        made.append((userdata, desk))
        return desk

    tools = booking_tools(factory)
    for caller in ("Ann", "Bob"):
        model = ScriptedLLM(agent_script("1", "2", name=caller))
        async with running(model, tools, userdata=caller) as session:
            await turn(session, "book")
    assert [who for who, _ in made] == ["Ann", "Bob"]  # one factory call per session
    assert len(bookings_named(gated_fake, "Ann")) == len(bookings_named(gated_fake, "Bob")) == 1


async def test_a_booking_links_the_sessions_lead(
    voice_desk: BookingDesk, gated_fake: FakeRocketLead
) -> None:
    await offered(voice_desk)
    lead = gated_fake.demo.lead_entry_ids[0]
    tools = booking_tools(voice_desk, entry_id=lambda call: call["lead"])
    async with running(ScriptedLLM(agent_script("1")), tools, userdata={"lead": lead}) as session:
        await turn(session, "book")
    (booking,) = (b for b in gated_fake.state.bookings.values() if b.name == "Jane")
    assert booking.table_entry_id == lead
