"""register_booking_tools() through pipecat's real function-call machinery: a scripted LLM
service in a pipeline, booking against FakeRocketLead."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from importlib import metadata
from typing import Any

import pytest

from rocketlead_async.desk import BookingDesk, DeskResult
from rocketlead_async.integrations.pipecat import booking_tools_schema, register_booking_tools
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

from ._harness import Bot, Message, Reply, ScriptedLLM, answers, last_user, tool_results

START, END = WINDOW


def agent_script(*book_calls: str, name: str = "Jane") -> Any:
    """An LLM that books S1 on "book" (one ``book_slot`` call per id in ``book_calls``), says
    the latest tool answer's ``say`` on every other inference, and on "did it work?" reports
    the booking its context holds."""

    def script(messages: list[Message]) -> Reply:
        said = last_user(messages)
        if said == "book":
            args = {"slot_id": "S1", "name": name}
            return Reply(calls=[("book_slot", f"b{i}", args) for i in book_calls])
        found = answers(messages)
        if said == "did it work?":
            booked = [a for a in found if a.get("booking_id")]
            return Reply(f"known: {booked[-1]['say']}" if booked else "known: nothing")
        return Reply(found[-1]["say"] if found else "")

    return script


def result_of(bot: Bot, call_id: str) -> dict[str, Any] | None:
    """The answer of tool call ``call_id`` in the bot's context, once it has one."""
    for content in tool_results(bot.context.get_messages(), call_id):
        try:
            return dict(json.loads(content))
        except (TypeError, ValueError):  # IN_PROGRESS, CANCELLED
            return None
    return None


def bot_with(voice_desk: BookingDesk, script: Any, **options: Any) -> Bot:
    llm = ScriptedLLM(script)
    register_booking_tools(llm, voice_desk, **{"filler": None, **options})
    return Bot(llm)


def test_schema_and_registration_rules(voice_desk: BookingDesk) -> None:
    schema = booking_tools_schema()
    assert [tool.name for tool in schema.standard_tools] == ["check_availability", "book_slot"]
    llm = ScriptedLLM(agent_script())
    with pytest.raises(ValueError, match="pass budget="):
        register_booking_tools(llm, lambda _: voice_desk)
    with pytest.raises(ValueError, match="mode must be"):
        register_booking_tools(llm, voice_desk, mode="later")  # type: ignore[arg-type]
    for mode, interruptible in (("sync", True), ("async", False)):
        llm = ScriptedLLM(agent_script())
        register_booking_tools(llm, voice_desk, mode=mode, margin=1.5)  # type: ignore[arg-type]
        # pipecat's registry records (FunctionCallRegistryItem) hold what it will enforce
        lookup, booking = llm._functions["check_availability"], llm._functions["book_slot"]
        assert lookup.timeout_secs == booking.timeout_secs == voice_desk.budget + 1.5
        assert booking.cancel_on_interruption is interruptible
        assert lookup.cancel_on_interruption  # the LLM waits for the offers in both modes
        assert not lookup.cancellable_by_llm
        assert not booking.cancellable_by_llm


async def test_offer_then_book_in_one_conversation(
    voice_desk: BookingDesk, gated_fake: FakeRocketLead
) -> None:
    def script(messages: list[Message]) -> Reply:
        if last_user(messages):
            return Reply(calls=[("check_availability", "a1", {"start": START, "end": END})])
        latest = answers(messages)[-1]
        if latest["status"] == "offers":
            first = latest["slots"][0]["id"]
            return Reply(calls=[("book_slot", "b1", {"slot_id": first, "name": "Jane"})])
        return Reply(latest["say"])

    async with bot_with(voice_desk, script) as bot:
        await bot.user("I'd like an appointment on Wednesday afternoon")
        await until(lambda: BOOKED_FIRST in bot.spoken, what="the booking to be spoken")
    assert bot.spoken == [BOOKED_FIRST]
    assert len(bookings_named(gated_fake, "Jane")) == 1


async def test_duplicate_calls_in_one_response_make_one_booking(
    voice_desk: BookingDesk, gated_fake: FakeRocketLead
) -> None:
    await offered(voice_desk)
    async with bot_with(voice_desk, agent_script("1", "2")) as bot:
        await bot.user("book")
        await until(lambda: BOOKED_FIRST in bot.spoken, what="the booking to be spoken")
        results = [
            json.loads(tool_results(bot.context.get_messages(), call_id)[0])
            for call_id in ("b1", "b2")
        ]
    assert gated_fake.request_count(BOOKINGS) == 1
    assert len(bookings_named(gated_fake, "Jane")) == 1
    assert [r["status"] for r in results] == ["booked", "booked"]
    assert results[0]["booking_id"] == results[1]["booking_id"]


async def test_barge_in_cancels_the_call_but_the_context_gets_the_real_outcome(
    voice_desk: BookingDesk, gated_fake: FakeRocketLead, post_gate: PostGate
) -> None:
    await offered(voice_desk)
    async with bot_with(voice_desk, agent_script("1")) as bot:
        post_gate.close()
        await bot.user("book")
        await asyncio.wait_for(post_gate.arrived.wait(), LIMIT)
        await bot.interrupt()
        # pipecat cancels the handler and settles the call as CANCELLED ...
        await until(
            lambda: tool_results(bot.context.get_messages(), "b1") == ["CANCELLED"],
            what="b1 to settle as CANCELLED",
        )
        post_gate.open()
        # ... the booking goes on, and its real outcome reaches the LLM, which says it.
        await until(lambda: BOOKED_FIRST in bot.spoken, what="the booking to be spoken")
        notes = [m for m in bot.llm.contexts[-1] if m.get("role") == "developer"]
        assert any("booking_id" in str(note["content"]) for note in notes)
        await bot.user("did it work?")
        await until(
            lambda: bot.spoken[-1].startswith("known:"), what="the answer to 'did it work?'"
        )
        assert bot.spoken[-1] == f"known: {BOOKED_FIRST}"
    assert len(bookings_named(gated_fake, "Jane")) == 1


async def test_async_mode_keeps_booking_through_a_barge_in(
    voice_desk: BookingDesk, gated_fake: FakeRocketLead, post_gate: PostGate
) -> None:
    await offered(voice_desk)
    async with bot_with(voice_desk, agent_script("1"), mode="async") as bot:
        post_gate.close()
        await bot.user("book")
        await asyncio.wait_for(post_gate.arrived.wait(), LIMIT)
        await bot.interrupt()
        post_gate.open()
        await until(lambda: BOOKED_FIRST in bot.spoken, what="the booking to be spoken")
        assert "CANCELLED" not in str(bot.context.get_messages())
    assert len(bookings_named(gated_fake, "Jane")) == 1


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_hang_up_mid_booking_reaches_on_outcome(
    voice_desk: BookingDesk,
    gated_fake: FakeRocketLead,
    post_gate: PostGate,
    desk_outcomes: list[DeskResult],
    mode: str,
) -> None:
    await offered(voice_desk)
    bot = bot_with(voice_desk, agent_script("1"), mode=mode)
    async with bot:
        post_gate.close()
        await bot.user("book")
        await asyncio.wait_for(post_gate.arrived.wait(), LIMIT)
        await bot.hang_up()  # EndFrame: pipecat cancels every handler
        post_gate.open()
    await asyncio.wait_for(voice_desk.aclose(), LIMIT)
    assert [o.status for o in desk_outcomes] == ["booked"]
    assert desk_outcomes[0].booking is not None
    assert bookings_named(gated_fake, "Jane") == [desk_outcomes[0].booking.id]


@pytest.mark.parametrize("mode", ["sync", "async"])
async def test_progress_is_spoken_when_the_slot_is_taken(
    voice_desk: BookingDesk, gated_fake: FakeRocketLead, desk_outcomes: list[DeskResult], mode: str
) -> None:
    await offered(voice_desk)
    gated_fake.race_next_bookings(1)
    async with bot_with(voice_desk, agent_script("1"), mode=mode) as bot:
        await bot.user("book")
        await until(
            lambda: bool(desk_outcomes) and desk_outcomes[0].spoken in bot.spoken,
            what="the outcome to be spoken",
        )
        heard = bot.spoken
    # sync: spoken straight away (TTSSpeakFrame); async: an intermediate result the LLM says
    assert TAKEN in heard
    assert heard.index(TAKEN) < heard.index(desk_outcomes[0].spoken)
    assert desk_outcomes[0].recovered
    assert len(bookings_named(gated_fake, "Jane")) == 1


async def test_the_budget_answers_before_pipecats_timeout(
    make_voice_desk: MakeDesk, gated_fake: FakeRocketLead
) -> None:
    desk = make_voice_desk(budget=1.0)
    await offered(desk)
    gated_fake.faults.add(BOOKINGS, Fault.latency(5.0, commit=True))
    unknown = desk.phrases.unknown.format(when=FIRST_OFFER)
    async with bot_with(desk, agent_script("1"), margin=2.0) as bot:
        await bot.user("book")
        await until(lambda: unknown in bot.spoken, what="the unknown outcome to be spoken")
        (result,) = tool_results(bot.context.get_messages(), "b1")
    # The SDK's answer (budget 1 s), not pipecat's timeout (budget + margin 2 s) nor the
    # 5 s POST, which would have committed and been spoken as booked.
    assert json.loads(result)["status"] == "unknown"


async def test_filler_is_spoken_while_a_booking_waits(
    voice_desk: BookingDesk, post_gate: PostGate
) -> None:
    await offered(voice_desk)
    async with bot_with(voice_desk, agent_script("1"), filler="Hang on.", filler_delay=0.05) as bot:
        post_gate.close()
        await bot.user("book")
        await until(lambda: "Hang on." in bot.spoken, what="the filler")
        post_gate.open()
        await until(lambda: BOOKED_FIRST in bot.spoken, what="the booking to be spoken")
    assert bot.spoken == ["Hang on.", BOOKED_FIRST]


async def test_a_factory_makes_one_desk_per_pipeline(
    make_voice_desk: MakeDesk, gated_fake: FakeRocketLead
) -> None:
    made: list[str] = []

    async def factory(caller: str) -> BookingDesk:
        desk = make_voice_desk()
        await offered(desk)
        made.append(caller)
        return desk

    for caller in ("Ann", "Bob"):
        llm = ScriptedLLM(agent_script("1", "2", name=caller))
        register_booking_tools(llm, factory, budget=8.0, filler=None)
        async with Bot(llm, app_resources=caller) as bot:
            await bot.user("book")
            await until(lambda: BOOKED_FIRST in bot.spoken, what="the booking to be spoken")
    assert made == ["Ann", "Bob"]  # one factory call per pipeline, duplicates included
    assert len(bookings_named(gated_fake, "Ann")) == len(bookings_named(gated_fake, "Bob")) == 1


async def test_a_booking_links_the_workers_lead(
    voice_desk: BookingDesk, gated_fake: FakeRocketLead
) -> None:
    await offered(voice_desk)
    lead = gated_fake.demo.lead_entry_ids[0]
    llm = ScriptedLLM(agent_script("1"))
    register_booking_tools(llm, voice_desk, filler=None, entry_id=lambda call: call["lead"])
    async with Bot(llm, app_resources={"lead": lead}) as bot:
        await bot.user("book")
        await until(lambda: BOOKED_FIRST in bot.spoken, what="the booking to be spoken")
    (booking,) = (b for b in gated_fake.state.bookings.values() if b.name == "Jane")
    assert booking.table_entry_id == lead


async def test_a_call_repeated_after_a_barge_in_joins_the_booking(
    voice_desk: BookingDesk, gated_fake: FakeRocketLead, post_gate: PostGate
) -> None:
    """The LLM sees "CANCELLED" and books again while the first POST is still out."""
    await offered(voice_desk)
    calls = iter(("b1", "b2"))

    def script(messages: list[Message]) -> Reply:
        if last_user(messages) == "book":
            return Reply(calls=[("book_slot", next(calls), {"slot_id": "S1", "name": "Jane"})])
        found = answers(messages)
        return Reply(found[-1]["say"] if found else "")

    async with bot_with(voice_desk, script) as bot:
        post_gate.close()
        await bot.user("book")
        await asyncio.wait_for(post_gate.arrived.wait(), LIMIT)
        await bot.interrupt()
        await until(
            lambda: tool_results(bot.context.get_messages(), "b1") == ["CANCELLED"],
            what="b1 to settle as CANCELLED",
        )
        await bot.user("book")  # "did you get that?": the same call again
        await until(
            lambda: bool(tool_results(bot.context.get_messages(), "b2")), what="b2's first result"
        )
        post_gate.open()
        await until(lambda: result_of(bot, "b2") is not None, what="b2's final result")
        second = result_of(bot, "b2")
    assert second is not None
    assert second["status"] == "booked"
    assert gated_fake.request_count(BOOKINGS) == 1
    assert len(bookings_named(gated_fake, "Jane")) == 1


def test_a_release_without_the_apis_used_is_named_with_the_wanted_range() -> None:
    # As pipecat-ai 1.13 does: the schema module moved to its current home in 1.14.
    code = (
        "import sys\nsys.modules['pipecat.adapters.llm.schemas.function_schema'] = None\n"
        "import rocketlead_async.integrations.pipecat"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    installed = metadata.version("pipecat-ai")
    assert f"needs pipecat-ai<1.15,>=1.14.0, not pipecat-ai {installed}" in done.stderr
    assert "pip install 'rocketlead-async[pipecat]'" in done.stderr
