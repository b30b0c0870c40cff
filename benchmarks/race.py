"""A lost race, and what each kind of call leaves for the cyclic garbage collector.

Against the loopback server's ``/race`` routes (``_server.py``), where a booking POST for the
requested start always answers 400 "no longer available", so every call loses one race and
books the alternative it picks (POST, availability GET, POST):

- ``book_lost``: ``client.bookings.book(request)`` with the default ``SlotRecovery``.
- ``loop_lost``: the same steps written with SDK calls: ``bookings.create``; on
  ``SlotUnavailableError`` ``availability.get`` over the same ±3 h, the nearest bookable slot
  of the same length, ``bookings.create(request.for_slot(slot))``. What ``book()`` costs over
  doing it by hand.

Interleaved blocks, sequential calls. Then, per call kind (raw aiohttp, ``create``, ``book``
with the slot free, ``book_lost``, ``loop_lost``): with the collector disabled, ``gc.collect()``
after ``n`` calls counts the objects only the cyclic collector could free (reference cycles:
an exception holding a traceback holding the frame that holds the exception, …), per call.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from _payloads import (
    BOOKINGS_PATH,
    RACE_PREFIX,
    TOKEN,
    availability_query,
    booking_request_fields,
)
from _stats import interleave_async, ratio
from overhead import sequential

from rocketlead_async import (
    Booking,
    BookingRequest,
    RocketLeadClient,
    SlotRecovery,
    SlotUnavailableError,
)
from rocketlead_async._convert import unstructure

__all__ = ["run"]

Call = Callable[[], Awaitable[Any]]
WINDOW = SlotRecovery().window


def _lost_race_calls(client: RocketLeadClient) -> dict[str, Call]:
    request = BookingRequest(**booking_request_fields())
    calendar_id, type_id = request.calendar_id, request.appointment_type_id
    assert type_id is not None
    duration = request.end - request.start

    async def book_lost() -> Booking:
        outcome = await client.bookings.book(request)
        assert outcome.recovered
        return outcome.booking

    async def loop_lost() -> Booking:
        try:
            return await client.bookings.create(request)
        except SlotUnavailableError:
            pass
        availability = await client.availability.get(
            calendar_id=calendar_id,
            appointment_type_id=type_id,
            start=request.start - WINDOW,
            end=request.end + WINDOW,
        )
        candidates = [
            slot
            for slot in availability.slots
            if slot.available
            and slot.current_bookings < slot.max_parallel_bookings
            and slot.end - slot.start == duration
            and slot.start != request.start
        ]
        slot = min(candidates, key=lambda s: abs(s.start - request.start))
        return await client.bookings.create(request.for_slot(slot))

    return {"book_lost": book_lost, "loop_lost": loop_lost}


async def _cycles(call: Call, calls: int) -> float:
    """Objects found unreachable by ``gc.collect()`` after ``calls`` calls, per call."""
    for _ in range(20):  # caches, pools and lazily built hooks are not per-call garbage
        await call()
    gc.collect()
    gc.disable()
    try:
        for _ in range(calls):
            await call()
        found = gc.collect()
    finally:
        gc.enable()
    return found / calls


async def run(url: str, *, quick: bool) -> dict[str, Any]:
    """``book()`` losing one race vs the hand-written loop; cyclic garbage per call kind."""
    rounds, per_block = (10, 20) if quick else (30, 40)
    gc_calls = 200 if quick else 1000
    request = BookingRequest(**booking_request_fields())
    payload = unstructure(request)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    query = availability_query()
    results: dict[str, Any] = {}
    async with (
        RocketLeadClient(TOKEN, base_url=url + RACE_PREFIX, timeout=30.0) as racing,
        RocketLeadClient(TOKEN, base_url=url, timeout=30.0) as client,
        aiohttp.ClientSession() as session,
    ):
        lost = _lost_race_calls(racing)
        booked = [await call() for call in lost.values()]
        if len({b.id for b in booked}) != 1:
            raise AssertionError(f"lost-race variants disagree: {booked!r:.200}")
        variants = {name: sequential(call) for name, call in lost.items()}
        await interleave_async(variants, rounds=2, per_block=per_block)  # warm-up
        measured = await interleave_async(variants, rounds=rounds, per_block=per_block)
        results["lost_race"] = {
            "clients": measured,
            "latency_ratio_median": ratio(
                measured["book_lost"]["latency_us"]["median"],
                measured["loop_lost"]["latency_us"]["median"],
            ),
            "cpu_ratio_median": ratio(
                measured["book_lost"]["cpu_us_per_item"]["median"],
                measured["loop_lost"]["cpu_us_per_item"]["median"],
            ),
        }

        async def raw() -> Any:
            async with session.post(url + BOOKINGS_PATH, json=payload, headers=auth) as response:
                return json.loads(await response.read())

        kinds: dict[str, Call] = {
            "raw": raw,
            "create": lambda: client.bookings.create(request),
            "book": lambda: client.bookings.book(request),
            "availability": lambda: client.availability.get(**query),
            **lost,
        }
        results["cycles_per_call"] = {
            name: await _cycles(call, gc_calls) for name, call in kinds.items()
        }
        results["cycles_calls"] = gc_calls
    return results
