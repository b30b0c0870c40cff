"""The public "sent" signal: ``create(on_sent=)`` and ``RecoveryEventKind.SENT`` say that a
booking POST went on the wire, and only then, so an integration can tell "nothing sent" (the
caller can be told nothing was booked) from "sent" (the booking may exist)."""

from __future__ import annotations

import asyncio

import pytest

import rocketlead_async as rl
from tests.helpers.bodies import booking_json
from tests.helpers.clients import MakeClient
from tests.helpers.clock import FakeClock
from tests.helpers.recorders import Unknowns
from tests.helpers.retries import BOOKINGS, REQUEST
from tests.helpers.scripted import Answer, ScriptedServer, Seen


async def test_a_post_that_never_reached_a_server_never_signals_sent(
    make_client: MakeClient, clock: FakeClock, unknowns: Unknowns, closed_port: int
) -> None:
    """Refused on every attempt (retried: it was certainly not sent): neither ``create``'s
    ``on_sent`` nor ``book``'s ``sent`` event fires."""
    client = make_client(base_url=f"http://127.0.0.1:{closed_port}")
    sent: list[None] = []
    events: list[rl.RecoveryEventKind] = []

    with pytest.raises(rl.APIConnectionError) as created:
        await client.bookings.create(REQUEST, on_sent=lambda: sent.append(None))
    policy = rl.SlotRecovery(on_event=lambda event: events.append(event.kind))
    with pytest.raises(rl.APIConnectionError) as booked:
        await client.bookings.book(REQUEST, recovery=policy)

    assert created.value.request_sent is booked.value.request_sent is False
    assert len(clock.sleeps) == 4  # three attempts each
    assert sent == []
    assert events == [rl.RecoveryEventKind.ATTEMPT]
    assert unknowns == []


async def test_a_post_signals_sent_once_as_it_goes_out_before_any_answer(
    server: ScriptedServer, client: rl.RocketLeadClient
) -> None:
    sent: list[None] = []
    when_the_server_read_it: list[int] = []

    def answer(_seen: Seen) -> Answer:
        when_the_server_read_it.append(len(sent))
        return Answer(201, payload=booking_json())

    server.post(BOOKINGS, answer)
    booking = await client.bookings.create(REQUEST, on_sent=lambda: sent.append(None))

    assert booking.id
    assert when_the_server_read_it == [1]  # signalled before the server had the request
    assert len(sent) == 1


async def test_a_failing_on_sent_never_breaks_the_post(
    server: ScriptedServer, client: rl.RocketLeadClient, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> None:
        raise RuntimeError("signal bug")

    server.post(BOOKINGS, status=201, payload=booking_json())
    booking = await client.bookings.create(REQUEST, on_sent=broken)
    await asyncio.sleep(0)
    assert booking.id
    assert server.only.method == "POST"
    assert "on_sent hook failed" in caplog.text
