"""A LiveKit voice agent that books RocketLead appointments while the caller is on the line.

The agent offers times with short ids (S1, S2…), books one through a ``BookingDesk`` (one per
call), and can't book a caller twice: duplicate tool calls join one booking, a barge-in never
cuts off a booking POST, and a slow booking's result is spoken even after the caller talked
over the agent.

Run it (LiveKit Cloud or your own LiveKit server; the models are LiveKit Inference names)::

    pip install 'rocketlead-async[livekit]'
    export LIVEKIT_URL=... LIVEKIT_API_KEY=... LIVEKIT_API_SECRET=...
    export ROCKETLEAD_API_TOKEN=rocketlead_... ROCKETLEAD_CALENDAR_ID=... \\
           ROCKETLEAD_APPOINTMENT_TYPE_ID=...
    python examples/livekit_agent.py dev

To book against the SDK's built-in fake instead of RocketLead, start
``python -m rocketlead_async fake-server`` and set ``ROCKETLEAD_BASE_URL`` to the URL it prints.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

from livekit.agents import Agent, AgentServer, AgentSession, JobContext, cli

import rocketlead_async as rl
from rocketlead_async.integrations.livekit import booking_tools

logger = logging.getLogger("booking-agent")

INSTRUCTIONS = """You are the friendly phone receptionist of a fitness studio.
Help the caller book one personal-training appointment.
1. Ask when they would like to come, then call check_availability with that window.
2. Read out the offered times (the 'spoken' texts) and let the caller choose.
3. Ask for their name, then call book_slot with the chosen id (S1, S2...) and the name.
4. Say exactly what the tool's 'say' field says. If it offers alternatives, offer them.
Never call book_slot again once the caller is booked or the result is 'unknown'.
Keep every answer short: this is a phone call."""


@dataclass
class Call:
    """What one phone call carries along (the session's ``userdata``)."""

    desk: rl.BookingDesk


def booking_agent() -> Agent:
    """The receptionist: its tools find the call's desk in ``userdata``."""
    return Agent(
        instructions=INSTRUCTIONS,
        tools=booking_tools(lambda call: call.desk, progress="say", async_after=2.0),
    )


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


server = AgentServer()


@server.rtc_session()
async def entrypoint(ctx: JobContext) -> None:
    client = rl.RocketLeadClient()  # ROCKETLEAD_API_TOKEN, and ROCKETLEAD_BASE_URL if set
    desk = await open_desk(client)

    async def close() -> None:
        await desk.aclose()  # a booking still in flight finishes and is reported first
        await client.aclose()

    ctx.add_shutdown_callback(close)
    session: AgentSession[Call] = AgentSession(
        userdata=Call(desk),
        stt="deepgram/nova-3",
        llm="openai/gpt-4.1-mini",
        tts="cartesia/sonic-2",
    )
    await session.start(agent=booking_agent(), room=ctx.room)
    await session.generate_reply(instructions="Greet the caller and ask how you can help.")


if __name__ == "__main__":
    cli.run_app(server)
