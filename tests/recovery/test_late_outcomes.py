"""A booking is never orphaned: cancelling create()/book() at every await point.

Accounting is exact after each cancellation: the bookings the server holds are those returned,
delivered late (``on_late_outcome``) or reported unknown (``on_outcome_unknown``), each once,
and no POST follows a cancellation.
"""

from __future__ import annotations

import asyncio

import pytest

import rocketlead_async as rl
from rocketlead_async.testing import DemoOrg, FakeRocketLead

from ._support import BOOKINGS, bookings_named, trainer_request

Kind = rl.RecoveryEventKind


async def test_a_cancel_landing_as_an_attempt_hook_finishes_sends_no_post(
    client: rl.RocketLeadClient, fake: FakeRocketLead, demo: DemoOrg
) -> None:
    """The hook completes in the same loop turn as the cancellation arrives: on Python 3.11
    ``asyncio.wait_for`` would return the hook's result and swallow the cancellation, and the
    POST would go out for a caller who has left."""
    entered, release = asyncio.Event(), asyncio.Event()

    async def on_event(event: rl.RecoveryEvent) -> None:
        if event.kind is Kind.ATTEMPT:
            entered.set()
            await release.wait()

    call = asyncio.ensure_future(
        client.bookings.book(trainer_request(demo), recovery=rl.SlotRecovery(on_event=on_event))
    )
    await entered.wait()
    release.set()
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    for _ in range(10):
        await asyncio.sleep(0)
    assert fake.request_count(BOOKINGS) == 0
    assert bookings_named(fake, "Caller") == []
