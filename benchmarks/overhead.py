"""SDK overhead against the floor, over loopback HTTP to the server process (``_server.py``).

Three clients make the same call against the same server, interleaved block by block:

- ``raw``: a hand-written aiohttp call on a plain ``ClientSession``: ``session.post(url,
  json=payload)`` (or ``session.get(url, params=...)``) and ``json.loads`` on the answer. Nothing
  else: no model, no status check, no error mapping. The denominator of every ratio.
- ``floor``: raw aiohttp plus what a typed client cannot skip: orjson both ways and a bare cattrs
  decode into the same model classes (``decode.bare_structure``). What "SDK overhead" cannot go
  below with these libraries.
- ``sdk``: ``client.bookings.create(request)`` / ``client.availability.get(...)`` on one
  ``RocketLeadClient``: request model -> body (a ``BytesPayload`` that notes when aiohttp starts
  writing it, the input of the outcome-unknown rule), deadline, typed errors, strict decode.
- ``book`` (booking only): ``client.bookings.book(request)`` with the slot free: what slot-race
  recovery costs when there is no race (its ratio is to ``sdk``, i.e. ``create``).

Sequential: one call at a time, per-call wall time. Concurrent: 32 tasks share one client or
session; throughput per burst, per-call latency under load, and client CPU per call (the server
runs in another process, so ``process_time`` is the client's CPU alone).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import orjson
from _payloads import (
    AVAILABILITY_PATH,
    BOOKINGS_PATH,
    TOKEN,
    availability_json,
    availability_query,
    booking_request_fields,
)
from _stats import AsyncVariant, interleave_async, ratio
from decode import bare_structure

from rocketlead_async import Availability, Booking, BookingRequest, RocketLeadClient
from rocketlead_async._convert import unstructure

__all__ = ["Clients", "run", "sequential"]

CONCURRENCY = 32
Call = Callable[[], Awaitable[Any]]


class Clients:
    """The three clients of one benchmark run, bound to the server's URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.request = BookingRequest(**booking_request_fields())
        self.payload = unstructure(self.request)
        self.query = availability_query()
        self.params = {
            "calendarId": self.query["calendar_id"],
            "appointmentTypeId": self.query["appointment_type_id"],
            "start": self.query["start"].isoformat(),
            "end": self.query["end"].isoformat(),
        }
        self._auth = {"Authorization": f"Bearer {TOKEN}"}
        self._json_auth = {**self._auth, "Content-Type": "application/json"}
        self.raw_session: aiohttp.ClientSession | None = None
        self.floor_session: aiohttp.ClientSession | None = None
        self.client: RocketLeadClient | None = None

    async def __aenter__(self) -> Clients:
        self.raw_session = aiohttp.ClientSession()
        self.floor_session = aiohttp.ClientSession()
        self.client = RocketLeadClient(TOKEN, base_url=self.url, timeout=30.0)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self.client is not None:
            await self.client.aclose()
        for session in (self.raw_session, self.floor_session):
            if session is not None:
                await session.close()

    # -- one call each ----------------------------------------------------------------------

    def calls(self, endpoint: str) -> dict[str, Call]:
        """``{"raw": ..., "floor": ..., "sdk": ...}`` for ``"booking"`` or ``"availability"``."""
        raw, floor, client = self.raw_session, self.floor_session, self.client
        if raw is None or floor is None or client is None:
            raise RuntimeError("use it as: async with Clients(url) as clients")
        if endpoint == "booking":
            url, payload, request = self.url + BOOKINGS_PATH, self.payload, self.request
            auth, json_auth = self._auth, self._json_auth

            async def raw_booking() -> Any:
                async with raw.post(url, json=payload, headers=auth) as response:
                    return json.loads(await response.read())

            async def floor_booking() -> Any:
                body = orjson.dumps(payload)
                async with floor.post(url, data=body, headers=json_auth) as response:
                    return bare_structure(orjson.loads(await response.read()), Booking)

            async def book() -> Any:
                return (await client.bookings.book(request)).booking

            return {
                "raw": raw_booking,
                "floor": floor_booking,
                "sdk": lambda: client.bookings.create(request),
                "book": book,
            }
        url, params, query, auth = self.url + AVAILABILITY_PATH, self.params, self.query, self._auth

        async def raw_availability() -> Any:
            async with raw.get(url, params=params, headers=auth) as response:
                return json.loads(await response.read())

        async def floor_availability() -> Any:
            async with floor.get(url, params=params, headers=auth) as response:
                return bare_structure(orjson.loads(await response.read()), Availability)

        return {
            "raw": raw_availability,
            "floor": floor_availability,
            "sdk": lambda: client.availability.get(**query),
        }

    async def check(self) -> None:
        """Every client gets the same, complete answer (a benchmark of errors proves nothing)."""
        expected_slots = len(availability_json()["data"])
        for endpoint in ("booking", "availability"):
            answers = [await call() for call in self.calls(endpoint).values()]
            raw, floor, sdk, *book = answers
            if endpoint == "booking":
                ok = raw["id"] == floor.id == sdk.id == book[0].id
            else:
                counts = {len(raw["data"]), len(floor.slots), len(sdk.slots)}
                ok = counts == {expected_slots}
            if not ok:
                raise AssertionError(f"clients disagree on {endpoint}: {answers!r:.200}")


# -- timing ---------------------------------------------------------------------------------


def sequential(call: Call) -> AsyncVariant:
    """One call at a time; per-call wall times."""
    clock = time.perf_counter

    async def block(count: int) -> list[float]:
        times = []
        for _ in range(count):
            started = clock()
            await call()
            times.append(clock() - started)
        return times

    return block


def _concurrent(call: Call, tasks: int) -> AsyncVariant:
    clock = time.perf_counter

    async def worker(count: int, times: list[float]) -> None:
        for _ in range(count):
            started = clock()
            await call()
            times.append(clock() - started)

    async def burst(count: int) -> list[float]:
        times: list[float] = []
        share, rest = divmod(count, tasks)
        await asyncio.gather(*(worker(share + (i < rest), times) for i in range(tasks)))
        return times

    return burst


def _compare(measured: dict[str, dict[str, Any]], key: str, stat: str) -> dict[str, float]:
    value = {name: variant[key][stat] for name, variant in measured.items()}
    return {
        "sdk_vs_raw": ratio(value["sdk"], value["raw"]),
        "floor_vs_raw": ratio(value["floor"], value["raw"]),
        "sdk_vs_floor": ratio(value["sdk"], value["floor"]),
    }


async def run(url: str, *, quick: bool) -> dict[str, Any]:
    """Sequential latency per endpoint and 32-task booking throughput, three clients each."""
    rounds, per_block = (12, 50) if quick else (40, 100)
    burst_rounds, per_burst = (12, CONCURRENCY * 10) if quick else (40, CONCURRENCY * 25)
    results: dict[str, Any] = {}
    async with Clients(url) as clients:
        await clients.check()
        for endpoint in ("booking", "availability"):
            variants = {name: sequential(c) for name, c in clients.calls(endpoint).items()}
            await interleave_async(variants, rounds=2, per_block=per_block)  # warm-up
            measured = await interleave_async(variants, rounds=rounds, per_block=per_block)
            results[f"sequential_{endpoint}"] = {
                "clients": measured,
                **(
                    {
                        "book_vs_create_latency_median": ratio(
                            measured["book"]["latency_us"]["median"],
                            measured["sdk"]["latency_us"]["median"],
                        ),
                        "book_vs_create_cpu_median": ratio(
                            measured["book"]["cpu_us_per_item"]["median"],
                            measured["sdk"]["cpu_us_per_item"]["median"],
                        ),
                    }
                    if "book" in measured
                    else {}
                ),
                "latency_ratio_median": _compare(measured, "latency_us", "median"),
                "latency_ratio_p95": _compare(measured, "latency_us", "p95"),
                "cpu_ratio_median": _compare(measured, "cpu_us_per_item", "median"),
            }
        variants = {
            name: _concurrent(c, CONCURRENCY)
            for name, c in clients.calls("booking").items()
            if name != "book"
        }
        await interleave_async(variants, rounds=1, per_block=per_burst)  # warm-up: open the pools
        measured = await interleave_async(variants, rounds=burst_rounds, per_block=per_burst)
        results["concurrent_booking"] = {
            "tasks": CONCURRENCY,
            "clients": measured,
            "throughput_ratio_median": _compare(measured, "throughput_per_s", "median"),
            "latency_ratio_median": _compare(measured, "latency_us", "median"),
            "cpu_ratio_median": _compare(measured, "cpu_us_per_item", "median"),
        }
    return results
