"""examples/pipecat_bot.py, its pipeline as written, with the scripted LLM in place of the
real one and no transport, STT or TTS."""

from __future__ import annotations

import asyncio
from typing import Any

from pipecat.frames.frames import EndFrame, LLMMessagesAppendFrame
from pipecat.pipeline.worker import PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContextMessage
from pipecat.workers.runner import WorkerRunner

from rocketlead_async.testing import FakeRocketLead
from tests.helpers.demo import bookings_named
from tests.helpers.integrations import LIMIT, WINDOW, load_example
from tests.helpers.recorders import until

from ._harness import Message, Reply, ScriptedLLM, answers, last_user, plain

example = load_example("pipecat_bot")


async def test_the_example_pipeline_offers_and_books(
    example_desk: Any, gated_fake: FakeRocketLead
) -> None:
    desk = await example_desk(example)

    def model(messages: list[Message]) -> Reply:
        assert str(messages[0]["content"]).startswith("You are the friendly phone receptionist")
        if last_user(messages):
            start, end = WINDOW
            return Reply(calls=[("check_availability", "a1", {"start": start, "end": end})])
        latest = answers(messages)[-1]
        if latest["status"] == "offers":
            return Reply(calls=[("book_slot", "b1", {"slot_id": "S1", "name": "Jane"})])
        return Reply(latest["say"])

    llm = ScriptedLLM(model)
    pipeline, context = example.build_pipeline(llm, desk)
    worker = PipelineWorker(pipeline, cancel_on_idle_timeout=False)
    runner = WorkerRunner(handle_sigint=False)
    await runner.add_workers(worker)
    running = asyncio.ensure_future(runner.run())
    caller: LLMContextMessage = {"role": "user", "content": "Wednesday afternoon, please"}
    await worker.queue_frame(LLMMessagesAppendFrame(messages=[caller], run_llm=True))

    def booked() -> bool:
        return any(a.get("booking_id") for a in answers(plain(context.get_messages())))

    await until(booked, what="the booking")
    await worker.queue_frame(EndFrame())
    await asyncio.wait_for(running, LIMIT)
    assert not llm.errors
    assert len(bookings_named(gated_fake, "Jane")) == 1
