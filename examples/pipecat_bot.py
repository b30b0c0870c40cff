"""A pipecat voice bot that books RocketLead appointments while the caller is on the line.

The bot offers times with short ids (S1, S2…), books one through a ``BookingDesk`` (one per
call), and can't book a caller twice: duplicate tool calls join one booking, and when the
caller barges in mid-booking the booking still completes and its real outcome goes into the
conversation (pipecat alone would write "CANCELLED" for a booking that exists).

Run it with pipecat's development runner (a browser WebRTC client at http://localhost:7860)::

    pip install 'rocketlead-async[pipecat]' \\
                'pipecat-ai[openai,deepgram,cartesia,silero,webrtc,runner]'
    export OPENAI_API_KEY=... DEEPGRAM_API_KEY=... CARTESIA_API_KEY=...
    export ROCKETLEAD_API_TOKEN=rocketlead_... ROCKETLEAD_CALENDAR_ID=... \\
           ROCKETLEAD_APPOINTMENT_TYPE_ID=...
    python examples/pipecat_bot.py

To book against the SDK's built-in fake instead of RocketLead, start
``python -m rocketlead_async fake-server`` and set ``ROCKETLEAD_BASE_URL`` to the URL it prints.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from pipecat.frames.frames import LLMRunFrame
from pipecat.pipeline.pipeline import Pipeline
from pipecat.pipeline.worker import PipelineWorker
from pipecat.processors.aggregators.llm_context import LLMContext
from pipecat.processors.aggregators.llm_response_universal import (
    LLMContextAggregatorPair,
    LLMUserAggregatorParams,
)
from pipecat.services.llm_service import LLMService
from pipecat.workers.runner import WorkerRunner

import rocketlead_async as rl
from rocketlead_async.integrations.pipecat import booking_tools_schema, register_booking_tools

logger = logging.getLogger("booking-bot")

SYSTEM_PROMPT = """You are the friendly phone receptionist of a fitness studio.
Help the caller book one personal-training appointment.
1. Ask when they would like to come, then call check_availability with that window.
2. Read out the offered times (the 'spoken' texts) and let the caller choose.
3. Ask for their name, then call book_slot with the chosen id (S1, S2...) and the name.
4. Say exactly what the tool's 'say' field says. If it offers alternatives, offer them.
Never call book_slot again once the caller is booked or the result is 'unknown'.
Keep every answer short: this is a phone call. Your output is spoken: no lists, no markdown."""


def build_pipeline(
    llm: LLMService,
    desk: rl.BookingDesk,
    *,
    transport: Any = None,
    stt: Any = None,
    tts: Any = None,
    vad: Any = None,
) -> tuple[Pipeline, LLMContext]:
    """The bot's pipeline: transport in, STT, context, LLM with the booking tools, TTS,
    transport out. Leave out the pieces you don't have (the tests run it with none)."""
    register_booking_tools(llm, desk, mode="sync", margin=2.0)
    context = LLMContext(
        [{"role": "system", "content": SYSTEM_PROMPT}], tools=booking_tools_schema()
    )
    user, assistant = LLMContextAggregatorPair(
        context, user_params=LLMUserAggregatorParams(vad_analyzer=vad)
    )
    stages = [
        transport.input() if transport is not None else None,
        stt,
        user,
        llm,
        tts,
        transport.output() if transport is not None else None,
        assistant,
    ]
    return Pipeline([stage for stage in stages if stage is not None]), context


def report(result: rl.DeskResult) -> None:
    """Every settled booking, also those of callers who hung up mid-booking."""
    booking_id = result.booking.id if result.booking else None
    logger.info("booking settled: %s %s abandoned=%s", result.status, booking_id, result.abandoned)


async def open_desk(client: rl.RocketLeadClient) -> rl.BookingDesk:
    calendar = await client.calendars.get(os.environ["ROCKETLEAD_CALENDAR_ID"])
    return rl.BookingDesk(
        client,
        calendar=calendar,
        appointment_type_id=os.environ["ROCKETLEAD_APPOINTMENT_TYPE_ID"],
        budget=8.0,
        on_outcome=report,
    )


async def run_bot(transport: Any, handle_sigint: bool) -> None:
    # The real services need their extras and keys; imported here so the rest stays testable.
    from pipecat.audio.vad.silero import SileroVADAnalyzer
    from pipecat.services.cartesia.tts import CartesiaTTSService
    from pipecat.services.deepgram.stt import DeepgramSTTService
    from pipecat.services.openai.llm import OpenAILLMService

    # ROCKETLEAD_API_TOKEN, and ROCKETLEAD_BASE_URL if set
    async with rl.RocketLeadClient() as client:
        desk = await open_desk(client)
        pipeline, _context = build_pipeline(
            OpenAILLMService(api_key=os.environ["OPENAI_API_KEY"], model="gpt-4.1-mini"),
            desk,
            transport=transport,
            stt=DeepgramSTTService(api_key=os.environ["DEEPGRAM_API_KEY"]),
            tts=CartesiaTTSService(
                api_key=os.environ["CARTESIA_API_KEY"],
                voice_id="71a7ad14-091c-4e8e-a314-022ece01c121",
            ),
            vad=SileroVADAnalyzer(),
        )
        worker = PipelineWorker(pipeline)

        @transport.event_handler("on_client_connected")
        async def greet(_transport: Any, _client: Any) -> None:
            await worker.queue_frame(LLMRunFrame())

        @transport.event_handler("on_client_disconnected")
        async def hang_up(_transport: Any, _client: Any) -> None:
            await worker.cancel()

        runner = WorkerRunner(handle_sigint=handle_sigint)
        await runner.add_workers(worker)
        await runner.run()
        await desk.aclose()  # a booking still in flight finishes and is reported first


async def bot(runner_args: Any) -> None:
    """Entry point of pipecat's development runner."""
    from pipecat.runner.utils import create_transport
    from pipecat.transports.base_transport import TransportParams

    def params() -> TransportParams:
        return TransportParams(audio_in_enabled=True, audio_out_enabled=True)

    transport = await create_transport(runner_args, {"webrtc": params, "daily": params})
    await run_bot(transport, runner_args.handle_sigint)


if __name__ == "__main__":
    from pipecat.runner.run import main

    main()
