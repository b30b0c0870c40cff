"""Memory: growth over many calls on one client, and what an idle client costs.

Growth: one ``RocketLeadClient`` makes ``calls`` calls against the loopback server (16 tasks at a
time; three ``bookings.create`` for every ``availability.get``). After a warm-up of a tenth of the
calls (connections open, caches filled; tracemalloc already tracing) the traced bytes still
alive and the process RSS are recorded, then again at ten checkpoints, each after
``gc.collect()``. "No growth" means: the traced bytes at the last checkpoint exceed those after
the warm-up by less than 64 KiB, whatever the call count (one leaked 64-byte object per call
would show as 288 KiB over the quick run's 4,500 measured calls, 5.8 MiB over the full run's).
The least-squares slope over the checkpoints (bytes per call) is reported beside it.

Idle cost: tracemalloc bytes still alive after constructing a ``RocketLeadClient`` (a first one is
built and dropped before, so one-time lazy imports are not counted), after its lazily created
aiohttp session (``_transport.session()``, inside the loop), and, for scale, a bare
``aiohttp.ClientSession()``.
"""

from __future__ import annotations

import asyncio
import gc
import os
import resource
import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import aiohttp
from _payloads import TOKEN, availability_query, booking_request_fields

from rocketlead_async import BookingRequest, RocketLeadClient

__all__ = ["run"]

TASKS = 16
CHECKPOINTS = 10
GROWTH_LIMIT = 64 * 1024


def rss_bytes() -> int:
    """Resident set size now (Linux ``/proc``; elsewhere the peak from ``getrusage``)."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _traced() -> int:
    gc.collect()
    return tracemalloc.get_traced_memory()[0]


async def _calls(client: RocketLeadClient, count: int) -> None:
    request = BookingRequest(**booking_request_fields())
    query = availability_query()
    shares = [count // TASKS + (i < count % TASKS) for i in range(TASKS)]

    async def worker(first: int, n: int) -> None:
        for number in range(first, first + n):
            if number % 4 == 3:
                await client.availability.get(**query)
            else:
                await client.bookings.create(request)

    starts = [sum(shares[:i]) for i in range(TASKS)]
    await asyncio.gather(*(worker(s, n) for s, n in zip(starts, shares, strict=True)))


async def growth(url: str, calls: int) -> dict[str, Any]:
    """Traced bytes and RSS at each checkpoint after the warm-up."""
    warmup = max(calls // 10, 500)
    per_checkpoint = max((calls - warmup) // CHECKPOINTS, 1)
    points: list[dict[str, int]] = []
    started = time.perf_counter()
    tracemalloc.start(1)
    try:
        async with RocketLeadClient(TOKEN, base_url=url, timeout=30.0) as client:
            await _calls(client, warmup)
            done = warmup
            points.append({"calls": done, "traced": _traced(), "rss": rss_bytes()})
            for _ in range(CHECKPOINTS):
                await _calls(client, per_checkpoint)
                done += per_checkpoint
                points.append({"calls": done, "traced": _traced(), "rss": rss_bytes()})
    finally:
        tracemalloc.stop()
    first, last = points[0], points[-1]
    measured = last["calls"] - first["calls"]
    traced_growth = last["traced"] - first["traced"]
    return {
        "calls": last["calls"],
        "warmup_calls": warmup,
        "traced_growth_bytes": traced_growth,
        "traced_slope_bytes_per_call": _slope(points, "traced"),
        "rss_growth_bytes": last["rss"] - first["rss"],
        "rss_slope_bytes_per_call": _slope(points, "rss"),
        "no_growth": traced_growth < GROWTH_LIMIT,
        "measured_calls": measured,
        "checkpoints": points,
        "seconds": time.perf_counter() - started,
    }


def _slope(points: list[dict[str, int]], key: str) -> float:
    """Least-squares bytes per call over the checkpoints (noise-tolerant growth rate)."""
    xs = [p["calls"] for p in points]
    ys = [p[key] for p in points]
    mean_x, mean_y = sum(xs) / len(xs), sum(ys) / len(ys)
    spread = sum((x - mean_x) ** 2 for x in xs)
    if not spread:
        return 0.0
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread


def _alive_after(make: Callable[[], Any]) -> tuple[int, Any]:
    before = _traced()
    made = make()
    return _traced() - before, made


async def idle_cost(url: str) -> dict[str, int]:
    """Bytes alive after building a client, after its session, and for a bare session."""
    warm = RocketLeadClient(TOKEN, base_url=url)  # lazy imports and caches: not counted
    warm._transport.session()
    await warm.aclose()
    tracemalloc.start(1)
    try:
        client_bytes, client = _alive_after(lambda: RocketLeadClient(TOKEN, base_url=url))
        session_bytes, _ = _alive_after(client._transport.session)
        bare_bytes, bare = _alive_after(aiohttp.ClientSession)
    finally:
        tracemalloc.stop()
    await client.aclose()
    await bare.close()
    return {
        "client_bytes": client_bytes,
        "client_session_bytes": session_bytes,
        "bare_aiohttp_session_bytes": bare_bytes,
    }


async def run(url: str, *, quick: bool) -> dict[str, Any]:
    """Idle cost, then growth over 5,000 (quick) or 100,000 calls."""
    idle = await idle_cost(url)
    return {"idle": idle, "growth": await growth(url, 5_000 if quick else 100_000)}
