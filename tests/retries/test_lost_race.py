"""A lost race (the slot was taken) and what follows it: the race is recognised whatever the
message's spacing, recovery's unbounded window does not overflow, the hook of an unknown
outcome after it sees the whole history, and nothing is left in a reference cycle."""

from __future__ import annotations

import gc
from datetime import timedelta
from typing import Any

import pytest

import rocketlead_async as rl
from rocketlead_async import recovery
from tests.helpers.bodies import availability_json, booking_json, envelope
from tests.helpers.clients import MakeClient
from tests.helpers.retries import BOOKINGS, REQUEST
from tests.helpers.scripted import ScriptedServer

AVAILABILITY = "/connect/availability/"
SLOT_TAKEN = envelope(400, "The selected time slot is no longer available")


def race_lost_then(server: ScriptedServer, **second_post: Any) -> None:
    """The first booking POST loses the race; availability has alternatives; the second POST
    is answered with ``second_post``."""
    server.post(BOOKINGS, status=400, payload=SLOT_TAKEN)
    server.get(AVAILABILITY, payload=availability_json())
    server.post(BOOKINGS, **second_post)


@pytest.mark.parametrize(
    "message",
    [
        "The selected time slot is no\u00a0longer available",
        "The selected time slot is no  longer\tavailable",
        "NO LONGER\u200bAVAILABLE",
    ],
)
async def test_slot_taken_is_detected_whatever_the_spacing(
    server: ScriptedServer, client: rl.RocketLeadClient, message: str
) -> None:
    server.post(BOOKINGS, status=400, payload=envelope(400, message))

    with pytest.raises(rl.SlotUnavailableError):
        await client.bookings.create(REQUEST)


async def test_an_unbounded_recovery_window_does_not_overflow(
    server: ScriptedServer, client: rl.RocketLeadClient
) -> None:
    race_lost_then(server, status=201, payload=booking_json())

    outcome = await client.bookings.book(REQUEST, recovery=rl.SlotRecovery(window=timedelta.max))

    assert outcome.recovered
    fetched = next(seen for seen in server.requests if seen.method == "GET")
    assert fetched.query["start"].startswith("0001-01-01")


async def test_the_hook_sees_the_whole_history_of_an_unknown_booking(
    server: ScriptedServer, make_client: MakeClient
) -> None:
    seen: list[int] = []
    client = make_client(
        base_url=server.url, on_outcome_unknown=lambda error: seen.append(len(error.attempts))
    )
    race_lost_then(server, status=504, body="Gateway Timeout")

    with pytest.raises(rl.BookingOutcomeUnknown) as caught:
        await client.bookings.book(REQUEST)

    assert seen == [2]  # the lost race and the unknown POST, already when the hook ran
    lost, pending = caught.value.attempts
    assert isinstance(lost.error, rl.SlotUnavailableError)
    # The unknown POST's error is the failure that left it unknown, not the unknown itself.
    assert pending.error is caught.value.__cause__
    assert isinstance(pending.error, rl.InternalServerError)
    assert pending.request is caught.value.request


@pytest.mark.parametrize("second_post", ["booked", "unknown"])
async def test_a_lost_race_leaves_no_reference_cycle(
    server: ScriptedServer, make_client: MakeClient, second_post: str
) -> None:
    """Errors kept in ``attempts`` hold no frames, the unknown outcome's own included: with it
    in its own history, its traceback kept the whole run in a cycle."""
    client = make_client(base_url=server.url, on_outcome_unknown=None)  # a hook would keep it
    if second_post == "booked":
        race_lost_then(server, status=201, payload=booking_json())
    else:
        race_lost_then(server, status=504, body="Gateway Timeout")
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        if second_post == "booked":
            outcome = await client.bookings.book(REQUEST)
            assert outcome.recovered
            attempts = outcome.attempts
            del outcome
        else:
            with pytest.raises(rl.BookingOutcomeUnknown) as caught:
                await client.bookings.book(REQUEST)
            attempts = caught.value.attempts
            del caught
        assert all(a.error is None or a.error.__traceback__ is None for a in attempts)
        assert attempts[0].error is not None
        del attempts
        gc.collect()
        # recovery._Run (private) is the one object of a book() run that holds its errors and
        # their tracebacks: found among the garbage, it was kept alive only by a cycle.
        runs = [thing for thing in gc.garbage if isinstance(thing, recovery._Run)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert runs == []
