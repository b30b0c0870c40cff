"""examples/pipecat_bot.py, its pipeline as written, with the scripted LLM in place of the
real one and no transport, STT or TTS."""

from __future__ import annotations

import asyncio
from typing import Any

from pipecat.frames.frames import EndFrame, LLMMessagesAppendFrame
from pipecat.pipeline.worker import PipelineWorker
from pipecat.workers.runner import WorkerRunner

from rocketlead_async.testing import FakeRocketLead

from .._examples import load
from .._support import LIMIT, WINDOW, bookings_of, until
from ._harness import Message, Reply, ScriptedLLM, answers, last_user

example = load("pipecat_bot")


async def test_the_example_pipeline_offers_and_books(
    example_desk: Any, fake: FakeRocketLead
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
    caller = {"role": "user", "content": "Wednesday afternoon, please"}
    await worker.queue_frame(LLMMessagesAppendFrame(messages=[caller], run_llm=True))

    def booked() -> bool:
        messages = [m for m in context.get_messages() if isinstance(m, dict)]
        return any(a.get("booking_id") for a in answers(messages))

    await until(booked)
    await worker.queue_frame(EndFrame())
    await asyncio.wait_for(running, LIMIT)
    assert not llm.errors
    assert len(bookings_of(fake, "Jane")) == 1
