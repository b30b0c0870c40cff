"""``BookingDesk.aclose()`` returns when what it waits for has already finished."""

from __future__ import annotations

import asyncio
import threading

import rocketlead_async as rl
from rocketlead_async.desk import BookingDesk
from tests.helpers.clients import TOKEN


def test_aclose_returns_when_a_tracked_task_finished_this_turn() -> None:
    """A task that finished in this turn of the loop is still in the desk's set until its done
    callback runs. Waiting for the set to empty spun forever on Python 3.12+ (gather() over
    finished tasks does not yield), so the test runs aclose() in a thread it can give up on."""

    async def scenario() -> None:
        # A loop of its own (in a thread), so no fixture's client: this one does no I/O.
        async with rl.RocketLeadClient(TOKEN) as client:
            desk = BookingDesk(
                client,
                calendar=rl.Calendar(id=rl.Id("cal_berlin"), tzdata="Europe/Berlin"),
                appointment_type_id="apt_trial",
            )
            finished = asyncio.get_running_loop().create_future()
            # Private: no public call leaves a tracked task finished but not yet called back.
            desk._track(finished)
            finished.set_result(None)
            await desk.aclose()

    closed = threading.Event()

    def close_in_thread() -> None:
        asyncio.run(scenario())
        closed.set()

    threading.Thread(target=close_in_thread, name="desk-close", daemon=True).start()
    assert closed.wait(timeout=10), "aclose() did not return"
