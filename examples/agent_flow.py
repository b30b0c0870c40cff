"""A voice agent's booking, end to end: the time the caller said, a lead, a race-safe booking.

Run it against the fake server:

    rocketlead fake-server --port 8787 &            # prints the URL and tokens
    export ROCKETLEAD_BASE_URL=http://127.0.0.1:8787 ROCKETLEAD_API_TOKEN=rocketlead_...
    python examples/agent_flow.py

Against production, set ROCKETLEAD_API_TOKEN only (and pick your own calendar and type).
"""

from __future__ import annotations

import asyncio
import datetime as dt

import rocketlead_async as rl


async def say(text: str) -> None:
    """Stand-in for the agent's text-to-speech."""
    print(f"agent: {text}")


async def narrate(event: rl.RecoveryEvent) -> None:
    if event.kind is rl.RecoveryEventKind.SLOT_TAKEN:
        await say("That time was just taken - one moment, I'll find the next one.")
    elif event.kind is rl.RecoveryEventKind.PICKED and event.slot is not None:
        await say(f"I can offer {event.slot.start:%H:%M} instead.")


async def main() -> None:
    async with rl.RocketLeadClient(timeout=8.0) as client:
        calendar = (await client.calendars.list())[0]
        types = await client.appointment_types.list()
        trial = next(t for t in types if t.name == "Trial Session")
        (table,) = await client.tables.list()
        new_state = table.default_lead_state
        assert new_state is not None, "the lead table needs a default (new-lead) state"

        # The caller said: "Wednesday the 24th, around ten past three."
        zone = calendar.zoneinfo
        wanted = dt.datetime(2027, 3, 24, 15, 10, tzinfo=zone)
        day = wanted.replace(hour=8, minute=0)
        availability = await client.availability.get(
            calendar_id=calendar.id,
            appointment_type_id=trial.id,
            start=day,
            end=day + dt.timedelta(hours=12),
        )
        offers = availability.nearest(wanted, limit=3)
        if not offers:
            await say("I'm sorry, that day is fully booked.")
            return
        await say("I have " + ", ".join(f"{s.start.astimezone(zone):%H:%M}" for s in offers))

        lead = await client.leads.create(
            rl.LeadRequest(
                table_id=table.id,
                lead_state_id=new_state.id,
                data={"firstName": {"value": "Jane"}, "phone": {"value": "+49 30 1234567"}},
            )
        )
        request = rl.BookingRequest.from_slot(
            offers[0], calendar_id=calendar.id, entry_id=lead.id, name="Trial: Jane"
        )
        try:
            outcome = await client.bookings.book(
                request, recovery=rl.SlotRecovery(on_event=narrate), timeout=8.0
            )
        except rl.SlotRecoveryExhausted as gave_up:
            times = ", ".join(f"{s.start.astimezone(zone):%H:%M}" for s in gave_up.alternatives[:3])
            await say(f"Those are gone; I could offer {times or 'another day'}.")
            return
        except rl.BookingOutcomeUnknown as unknown:
            # Never book again blindly: the booking may exist. Hand it to a human.
            await say("Let me double-check that booking and call you back.")
            print("to reconcile:", unknown.request)
            return
        booked = outcome.booking
        await say(f"You're booked for {booked.start.astimezone(zone):%A %d %B at %H:%M}.")
        print(booked, "recovered:", outcome.recovered)


if __name__ == "__main__":
    asyncio.run(main())
