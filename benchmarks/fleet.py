"""Recovery across processes: P processes x C callers, each caller on a client of its own.

Voice deployments run one process per phone call (LiveKit's default job model) on many hosts,
so ``book()`` calls rarely share a client and its in-memory seat claims. This section runs
``P`` worker processes (this file with ``--worker``), each with ``C`` callers, every caller on
its own ``RocketLeadClient``, against one FakeRocketLead served by the parent process on
127.0.0.1 with 30 ms added to every answer. The set-up is the contention section's
(:class:`contention.Arena` for ``M = P * C`` callers: the popular hour holds ``M / 10`` free
seats, the +-3 h window about twice as many as there are callers). Every worker opens its
connections first (one keep-alive HTTP connection per caller; for Redis rows, one pooled Redis
connection per caller), says ready, and all callers start when the parent says go.

Rows (strategies):

- ``naive``: the API docs' loop (see contention.py), 3 POSTs.
- ``spread1``: ``book()`` with ``SlotRecovery()`` as shipped (``spread=1``): the nearest slot.
- ``spread4``: ``book()`` with ``spread=4`` (seeded per caller).
- ``spread8``: ``book()`` with ``spread=8``, the README's advice for one client per caller.
- ``redis``: ``book()`` with ``SlotRecovery(spread=8)`` (the fallback when Redis cannot be
  asked) and
  ``RocketLeadClient(seat_claims=RedisSeatClaims(...))``, one ``RedisSeatClaims`` per process
  (shared by its callers' clients, as the README recommends) on a real redis-server on loopback.
- ``redis_spread1``: the same claims with ``SlotRecovery()`` as shipped (``spread=1``), as the
  README's snippet configures it: what Redis alone does, a pick that misses the 50 ms bound
  going on with the nearest slot instead of ``spread=8``'s draw.
- ``redis_down``: the same as ``redis``, with the Redis server killed 40 ms after go (after the
  first POSTs went out, before most picks): every caller must still end booked or with
  alternatives.

Columns: share of callers booked, POSTs and availability GETs per booking (counted by the fake),
p50/p95 seconds from go to the confirmed booking (in the caller's process), seats over capacity
(``FakeRocketLead.overbooked()``), callers holding two bookings, callers left with neither a
booking nor alternatives ("lost"), and the Redis fallbacks counted by ``RedisSeatClaims``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import statistics
import sys
import time
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Any

from _stats import percentile
from contention import LATENCY, WINDOW, Arena, Result, _naive, caller_request

from rocketlead_async import (
    BookingRequest,
    RocketLeadClient,
    SeatClaimsProtocol,
    SlotRecovery,
    SlotRecoveryExhausted,
)
from rocketlead_async.testing import FakeRocketLead
from rocketlead_async.testing._redis import RedisServer, RedisUnavailable, redis_required

__all__ = ["STRATEGIES", "run"]

STRATEGIES: dict[str, str] = {
    "naive": "docs loop: refetch, first available, 3 POSTs",
    "spread1": "book(), SlotRecovery() as shipped (spread=1)",
    "spread4": "book(), SlotRecovery(spread=4)",
    "spread8": "book(), SlotRecovery(spread=8)",
    "redis": "book(), SlotRecovery(spread=8), RedisSeatClaims (one per process)",
    "redis_spread1": "book(), SlotRecovery() as shipped, RedisSeatClaims (one per process)",
    "redis_down": "as redis; the Redis server is killed 40 ms after go",
}
REDIS_STRATEGIES = ("redis", "redis_spread1", "redis_down")
HERE = Path(__file__).resolve().parent
KILL_AFTER = 0.04
REPEATS = 3  # per strategy and size in full runs (quick: 1)


# -- the worker process -------------------------------------------------------------------------


class _Plan:
    """What a caller in a worker needs of the arena (the parent's :class:`Arena` has the fake)."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.callers = spec["callers"]
        self.calendar_id = spec["calendar_id"]
        self.type_id = spec["type_id"]
        self.gym_id = spec["gym_id"]
        self.window_id = spec["window_id"]
        self.start = datetime.fromisoformat(spec["start"])
        self.end = datetime.fromisoformat(spec["end"])

    def request(self, caller: int) -> BookingRequest:
        return caller_request(self, caller)


async def _book(
    client: RocketLeadClient, plan: _Plan, caller: int, result: Result, spread: int
) -> None:
    rng = random.Random(f"rocketlead-fleet/{plan.callers}/{caller}")
    recovery = SlotRecovery(spread=spread, rng=rng)
    try:
        outcome = await client.bookings.book(plan.request(caller), recovery=recovery)
    except SlotRecoveryExhausted as exhausted:
        result.posts = len(exhausted.attempts)
        result.error = exhausted.reason + ("" if exhausted.alternatives else " (no alternatives)")
    else:
        result.posts = len(outcome.attempts)
        result.booked_start = outcome.booking.start


async def _worker_row(spec: dict[str, Any], lines: asyncio.StreamReader) -> dict[str, Any]:
    plan, strategy = _Plan(spec), spec["strategy"]
    callers: list[int] = spec["caller_ids"]
    spread = {"spread4": 4, "spread8": 8, "redis": 8, "redis_down": 8}.get(strategy, 1)
    async with contextlib.AsyncExitStack() as stack:
        claims: SeatClaimsProtocol | None = None
        redis: Any = None
        if spec.get("redis_url"):
            import redis.asyncio as aioredis

            from rocketlead_async.claims import RedisSeatClaims

            redis = aioredis.Redis.from_url(spec["redis_url"])
            stack.push_async_callback(redis.aclose)
            # one connection per caller, and one for the background writer
            await asyncio.gather(*(redis.ping() for _ in range(len(callers) + 1)))
            claims = RedisSeatClaims(redis, namespace=f"fleet{spec['run']}")
        clients = [
            await stack.enter_async_context(
                RocketLeadClient(spec["token"], base_url=spec["url"], seat_claims=claims)
            )
            for _ in callers
        ]
        await asyncio.gather(*(c.calendars.get(plan.calendar_id) for c in clients))
        print("READY", flush=True)
        await lines.readline()  # GO
        results = [Result() for _ in callers]

        async def one(client: RocketLeadClient, caller: int, result: Result) -> None:
            started = time.perf_counter()
            try:
                if strategy == "naive":
                    await _naive(client, plan, caller, result)  # type: ignore[arg-type]
                else:
                    await _book(client, plan, caller, result, spread)
            except Exception as error:  # reported, never hidden: an error here is a finding
                result.error = type(error).__name__
            if result.booked_start is not None:
                result.seconds = time.perf_counter() - started

        await asyncio.wait_for(
            asyncio.gather(
                *(one(c, i, r) for c, i, r in zip(clients, callers, results, strict=True))
            ),
            120,
        )
        if isinstance(claims, SeatClaimsProtocol):
            await claims.flush()
        fallbacks = getattr(claims, "fallbacks", 0)
    return {
        "results": [
            {
                "booked": r.booked_start is not None,
                "posts": r.posts,
                "seconds": r.seconds,
                "error": r.error,
            }
            for r in results
        ],
        "fallbacks": fallbacks,
    }


async def _worker() -> None:
    loop = asyncio.get_running_loop()
    lines = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(lines), sys.stdin)
    while True:
        line = await lines.readline()
        if not line:
            return  # the parent closed our stdin (or died)
        row = await _worker_row(json.loads(line), lines)
        print(json.dumps(row, allow_nan=True), flush=True)


# -- the parent ---------------------------------------------------------------------------------


class _Fleet:
    """``P`` worker processes, reused for every row of one size."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self.workers: list[asyncio.subprocess.Process] = []

    async def __aenter__(self) -> _Fleet:
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(HERE), *sys.path])}
        for _ in range(self.processes):
            self.workers.append(
                await asyncio.create_subprocess_exec(
                    sys.executable,
                    str(HERE / "fleet.py"),
                    "--worker",
                    stdin=asyncio.subprocess.PIPE,
                    stdout=asyncio.subprocess.PIPE,
                    env=env,
                )
            )
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        for worker in self.workers:
            assert worker.stdin is not None
            worker.stdin.close()
        for worker in self.workers:
            try:
                await asyncio.wait_for(worker.wait(), 10)
            except asyncio.TimeoutError:
                worker.kill()
                await worker.wait()

    async def send(self, worker: asyncio.subprocess.Process, line: str) -> None:
        assert worker.stdin is not None
        worker.stdin.write(line.encode() + b"\n")
        await worker.stdin.drain()

    async def expect(self, worker: asyncio.subprocess.Process) -> str:
        assert worker.stdout is not None
        line = await asyncio.wait_for(worker.stdout.readline(), 150)
        if not line:
            raise RuntimeError("a fleet worker died")
        return line.decode()


async def rush(
    fleet: _Fleet, name: str, per_process: int, redis: RedisServer | None, run_id: int
) -> dict[str, Any]:
    """One strategy with ``fleet.processes * per_process`` callers against a fresh fake."""
    callers = fleet.processes * per_process
    server = RedisServer() if name in REDIS_STRATEGIES and redis is None else None
    async with (
        FakeRocketLead.running(seed=0, latency=LATENCY) as fake,
        contextlib.AsyncExitStack() as stack,
    ):
        if server is not None:
            server.start()
            stack.callback(server.stop)
        arena = Arena(fake, callers)
        spec = {
            "strategy": name,
            "run": run_id,
            "url": fake.url,
            "token": fake.tokens.write,
            "callers": callers,
            "calendar_id": arena.calendar_id,
            "type_id": arena.type_id,
            "gym_id": arena.gym_id,
            "window_id": arena.window_id,
            "start": arena.start.isoformat(),
            "end": arena.end.isoformat(),
            "redis_url": server.url if server is not None else None,
        }
        for index, worker in enumerate(fleet.workers):
            ids = list(range(index, callers, fleet.processes))
            await fleet.send(worker, json.dumps({**spec, "caller_ids": ids}))
        for worker in fleet.workers:
            ready = await fleet.expect(worker)
            if not ready.startswith("READY"):
                raise RuntimeError(f"fleet worker: {ready!r}")
        posts_before = fake.request_count("POST /connect/calendar_bookings/")
        gets_before = fake.request_count("GET /connect/availability/")
        wall = time.perf_counter()
        for worker in fleet.workers:
            await fleet.send(worker, "GO")
        if name == "redis_down" and server is not None:
            await asyncio.sleep(KILL_AFTER)
            server.stop()
        rows = [json.loads(await fleet.expect(worker)) for worker in fleet.workers]
        wall = time.perf_counter() - wall
        posts = fake.request_count("POST /connect/calendar_bookings/") - posts_before
        gets = fake.request_count("GET /connect/availability/") - gets_before
        audit = arena.audit()
    results = [r for row in rows for r in row["results"]]
    booked = [r for r in results if r["booked"]]
    seconds = [r["seconds"] for r in booked]
    not_booked = Counter(r["error"] or "?" for r in results if not r["booked"])
    return {
        "strategy": name,
        "processes": fleet.processes,
        "callers_per_process": per_process,
        "callers": callers,
        "setup": {
            "free_seats_at_requested_hour": arena.free_at_request,
            "gym_capacity": arena.capacity,
        },
        "booked_share": len(booked) / callers,
        "posts_per_booking": posts / len(booked) if booked else math.nan,
        "gets_per_booking": gets / len(booked) if booked else math.nan,
        "seconds_to_booking_p50": percentile(seconds, 50),
        "seconds_to_booking_p95": percentile(seconds, 95),
        "not_booked": dict(not_booked),
        # naive callers never get alternatives; book() callers must
        "lost": sum(
            n
            for reason, n in not_booked.items()
            if "no alternatives" in reason
            or reason not in ("max_attempts", "no_candidate", "gave_up", "no_slot", "deadline")
        ),
        "fallbacks": sum(row["fallbacks"] for row in rows),
        "wall_s": wall,
        **audit,
    }


def redis_available() -> bool:
    """Whether a redis-server can run here; in CI (``redis_required()``) its absence is an
    error."""
    try:
        with RedisServer():
            return True
    except RedisUnavailable:
        if redis_required():
            raise
        print("fleet: no redis-server, Redis rows skipped", file=sys.stderr)
        return False


def _merge(repeats: list[dict[str, Any]]) -> dict[str, Any]:
    """One row from repeated rushes: shares and ratios averaged, times the median of the
    repeats' percentiles, violations and losses the worst, fallbacks summed."""
    first = repeats[0]
    merged = dict(first)
    for key in ("booked_share", "posts_per_booking", "gets_per_booking", "wall_s"):
        merged[key] = statistics.fmean(r[key] for r in repeats)
    for key in ("seconds_to_booking_p50", "seconds_to_booking_p95"):
        merged[key] = statistics.median(r[key] for r in repeats)
    for key in ("capacity_violations", "double_bookings", "lost"):
        merged[key] = max(r[key] for r in repeats)
    merged["fallbacks"] = sum(r["fallbacks"] for r in repeats)
    merged["not_booked"] = dict(sum((Counter(r["not_booked"]) for r in repeats), Counter()))
    merged["repeats"] = [
        {k: r[k] for k in ("booked_share", "posts_per_booking", "seconds_to_booking_p95")}
        for r in repeats
    ]
    return merged


async def run(*, quick: bool) -> dict[str, Any]:
    """Every strategy at 4 x 25 callers (quick), and 8 x 25 (full), ``REPEATS`` times each in
    full runs, the strategies interleaved (A B C, then C B A, ...) so that a neighbour's burst
    of CPU hits them alike."""
    sizes = [(4, 25)] if quick else [(4, 25), (8, 25)]
    repeats = 1 if quick else REPEATS
    names = [n for n in STRATEGIES if n not in REDIS_STRATEGIES or redis_available()]
    out = []
    run_id = 0
    for processes, per_process in sizes:
        measured: dict[str, list[dict[str, Any]]] = {name: [] for name in names}
        async with _Fleet(processes) as fleet:
            for round_ in range(repeats):
                for name in names if round_ % 2 == 0 else names[::-1]:
                    run_id += 1
                    measured[name].append(await rush(fleet, name, per_process, None, run_id))
        out += [_merge(measured[name]) for name in names]
    return {
        "latency_s": LATENCY,
        "window_h": WINDOW.total_seconds() / 3600,
        "repeats": repeats,
        "strategies": STRATEGIES,
        "rows": out,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help="(internal) run as a worker")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.worker:
        asyncio.run(_worker())
        return
    print(json.dumps(asyncio.run(run(quick=args.quick)), indent=2, default=str))


if __name__ == "__main__":
    main()
