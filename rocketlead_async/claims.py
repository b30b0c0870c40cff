"""Seat claims shared by every process and host through Redis (extra ``rocketlead-async[redis]``).

Voice deployments run one process per phone call on many hosts, so the in-memory
:class:`SeatClaims` of one client never sees the other callers. ``RedisSeatClaims`` keeps each
calendar's claims and recently booked seats in one Redis hash, so that agents anywhere that lose
the same race charge different seats::

    import redis.asyncio as redis
    from rocketlead_async.claims import RedisSeatClaims

    claims = RedisSeatClaims(redis.Redis(host="10.0.0.5"), namespace="rocketlead:acme")
    client = rl.RocketLeadClient(seat_claims=claims)

Claims are advisory and never block or delay a booking beyond ``call_timeout`` (50 ms): the
claim of the requested slot and every release are written in the background; only the pick of
an alternative waits for Redis, one atomic script that ranks by every process's claims and
claims the winner. When Redis is slow or unreachable the call goes on with this process's
claims, one warning is logged, :attr:`RedisSeatClaims.fallbacks` counts it, and after an error
(or two late answers in a row) Redis is left alone for ``pause`` seconds (1 s). Every claim
expires ``ttl`` seconds after it was written (a booked seat ``ttl`` seconds after its booking),
so a crashed process leaves nothing behind.

This module imports no Redis library: pass any ``redis.asyncio.Redis`` (redis-py >= 5.0.1).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._seats import Seat, SeatClaims, SeatClaimsProtocol
from ._validate import check_number
from ._wait import within
from .models import Slot, SlotKey

__all__ = ["RedisSeatClaims", "SeatClaims", "SeatClaimsProtocol"]

logger = logging.getLogger("rocketlead_async")

# Four keys per calendar, sharing the calendar id as hash tag (a Redis Cluster keeps them on one
# node, so the scripts stay atomic there): ``claims`` (hash: claim id -> "start end resource"),
# ``charging`` (hash: "start end resource" -> claims in flight on that slot), ``expiry`` (sorted
# set: claim id by when it expires) and ``booked`` (sorted set: claim id by when its POST
# booked it). A pick reads the per-slot counts and the bookings since the caller's availability
# was fetched, never every claim: its cost stays flat however many callers are in flight.
# Times come from the server's clock (TIME); the callers send only durations (ttl, the age of
# their availability), so hosts with skewed clocks still agree. Sent with EVAL, not EVALSHA:
# always one round trip (the server caches the compiled script), never NOSCRIPT + SCRIPT LOAD.
_PRELUDE = """
local claims, charging, expiry, booked = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local function at(x) return string.format('%.6f', x) end
local function uncount(slot)
  if redis.call('HINCRBY', charging, slot, -1) <= 0 then redis.call('HDEL', charging, slot) end
end
local function forget(id)
  local slot = redis.call('HGET', claims, id)
  if slot then
    if not redis.call('ZSCORE', booked, id) then uncount(slot) end
    redis.call('HDEL', claims, id)
  end
  redis.call('ZREM', expiry, id)
  redis.call('ZREM', booked, id)
end
local function claim(id, slot, ttl)
  forget(id)
  redis.call('HSET', claims, id, slot)
  redis.call('HINCRBY', charging, slot, 1)
  redis.call('ZADD', expiry, at(now + ttl), id)
end
local function keep(ttl)
  for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, math.ceil(ttl * 1000)) end
end
local function parse(slot)
  local s, e, r = string.match(slot, '^(%S+) (%S+) (.*)$')
  return r, tonumber(s), tonumber(e)
end
"""
# ARGV: claim id, ttl, age of the availability, then (resource, start, end, free seats as
# fetched) per candidate, best first. Claims the first with a seat left (the first if none has
# one) and returns its index, -1 for none.
_PICK = (
    _PRELUDE
    + """
local ttl, fetched = tonumber(ARGV[2]), now - tonumber(ARGV[3])
for _, id in ipairs(redis.call('ZRANGEBYSCORE', expiry, '-inf', at(now))) do forget(id) end
local seats = {}
local flat = redis.call('HGETALL', charging)
for i = 1, #flat, 2 do
  local r, s, e = parse(flat[i])
  seats[#seats + 1] = {r, s, e, tonumber(flat[i + 1])}
end
local recent = redis.call('ZRANGEBYSCORE', booked, '(' .. at(fetched), '+inf')
for first = 1, #recent, 1000 do
  local ids = {unpack(recent, first, math.min(first + 999, #recent))}
  for _, slot in ipairs(redis.call('HMGET', claims, unpack(ids))) do
    if slot then
      local r, s, e = parse(slot)
      seats[#seats + 1] = {r, s, e, 1}
    end
  end
end
local chosen = -1
for i = 4, #ARGV, 4 do
  local r, s, e = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2])
  local free = tonumber(ARGV[i + 3])
  for _, seat in ipairs(seats) do
    if seat[1] == r and seat[2] < e and s < seat[3] then free = free - seat[4] end
  end
  if free > 0 then chosen = (i - 4) / 4 break end
end
local i = 4 + math.max(chosen, 0) * 4
claim(ARGV[1], ARGV[i + 1] .. ' ' .. ARGV[i + 2] .. ' ' .. ARGV[i], ttl)
keep(ttl)
return chosen
"""
)
# ARGV: claim id, ttl, "claim" | "booked" | "release", resource, start, end.
_WRITE = (
    _PRELUDE
    + """
local id, ttl, mode = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local slot = ARGV[5] .. ' ' .. ARGV[6] .. ' ' .. ARGV[4]
if mode == 'release' then
  forget(id)
  return 0
elseif mode == 'claim' then
  claim(id, slot, ttl)
else
  local held = redis.call('HGET', claims, id)
  if held and not redis.call('ZSCORE', booked, id) then uncount(held) end
  redis.call('HSET', claims, id, slot)
  redis.call('ZADD', booked, at(now), id)
  redis.call('ZADD', expiry, at(now + ttl), id)
end
keep(ttl)
return 1
"""
)
_CANDIDATES = 16  # sent to the pick script: the ranked best; beyond them the local pick stands


# Background writes delay no booking; they may wait for a cold connection to be made, which
# also warms the pool for the pick that follows a lost race.
_BACKGROUND_TIMEOUT = 1.0
_SLOW_IN_A_ROW = 2


class _Remote:
    """A seat's claim in Redis: its id and its calendar's keys."""

    __slots__ = ("id", "keys")

    def __init__(self, keys: tuple[str, str, str, str]) -> None:
        self.id = secrets.token_hex(8)
        self.keys = keys


def _epoch(moment: datetime) -> str:
    return repr(moment.timestamp())


def _positive(name: str, value: float) -> float:
    return check_number(value, f"RedisSeatClaims {name}", inclusive=False)


class RedisSeatClaims:
    """Seat claims shared through Redis by every client that uses the same ``namespace``.

    - ``redis``: a ``redis.asyncio.Redis`` (not closed by us; close it after the clients).
    - ``namespace``: prefix of every key (``<namespace>:seats:{<calendar id>}:...``); give
      each organisation its own, e.g. ``"rocketlead:<org id>"``.
    - ``ttl``: seconds a claim, or a booked seat, is kept (longer than any ``book()`` budget).
    - ``call_timeout``: the most a booking waits for Redis per call (seconds); writes in the
      background (claims of requested slots, releases) may take up to a second.
    - ``pause``: seconds Redis is not asked again after it failed, or was late twice in a row.

    ``fallbacks`` counts the Redis calls that failed, timed out or were skipped during a pause:
    each time, the booking went on with this process's claims. Overlapping slots of a resource
    share its seats, as in :class:`SeatClaims`; claims are counted per calendar.
    """

    def __init__(
        self,
        redis: Any,
        *,
        namespace: str = "rocketlead",
        ttl: float = 30.0,
        call_timeout: float = 0.05,
        pause: float = 1.0,
    ) -> None:
        if not callable(getattr(redis, "eval", None)):
            raise TypeError(
                f"redis must be a redis.asyncio.Redis client, not {type(redis).__name__}"
            )
        if not isinstance(namespace, str) or not namespace or any(c.isspace() for c in namespace):
            raise ValueError(
                f"RedisSeatClaims namespace must be a non-empty word, not {namespace!r}"
            )
        self.namespace = namespace
        self.ttl = _positive("ttl", ttl)
        self.call_timeout = _positive("call_timeout", call_timeout)
        self.pause = _positive("pause", pause)
        self.fallbacks = 0
        self._redis = redis
        self._local = SeatClaims()
        self._remote: dict[Seat, _Remote] = {}
        self._queue: list[tuple[str, ...]] = []
        self._writer: asyncio.Task[None] | None = None
        self._resume_at = 0.0
        self._slow = 0  # late answers in a row
        self._warned = False

    def __repr__(self) -> str:
        return f"RedisSeatClaims(namespace={self.namespace!r}, ttl={self.ttl:g})"

    def keys(self, calendar_id: str | None) -> tuple[str, str, str, str]:
        """The Redis keys of ``calendar_id``'s seats: claims, charging, expiry, booked."""
        stem = f"{self.namespace}:seats:{{{calendar_id or '-'}}}"
        return (f"{stem}:claims", f"{stem}:charging", f"{stem}:expiry", f"{stem}:booked")

    # -- the protocol ---------------------------------------------------------------------------

    def take(self, key: SlotKey, *, calendar_id: str | None = None) -> Seat:
        """Claim a seat of ``key`` now, here; Redis hears of it in the background."""
        seat = self._local.take(key, calendar_id=calendar_id)
        remote = self._remote[seat] = _Remote(self.keys(calendar_id))
        self._send(remote, "claim", seat)
        return seat

    async def take_best(
        self,
        choice: Slot,
        ranked: Sequence[Slot],
        *,
        calendar_id: str | None,
        fetched_at: float,
        now: float,
    ) -> tuple[Slot, Seat]:
        """Claim ``choice`` here at once; then, in one atomic Redis script, the first of
        ``ranked`` that every process's claims leave a seat in (``choice`` if none does, or if
        Redis cannot be asked in time)."""
        seat = self._local.take(choice.key, calendar_id=calendar_id)
        if not self._live():
            return choice, seat
        remote = self._remote[seat] = _Remote(self.keys(calendar_id))
        order = list(ranked[:_CANDIDATES]) or [choice]
        args: list[str] = [remote.id, repr(self.ttl), repr(max(now - fetched_at, 0.0))]
        for slot in order:
            free = max(slot.max_parallel_bookings - slot.current_bookings, 0)
            args += [slot.resource_id or "", _epoch(slot.start), _epoch(slot.end), str(free)]
        try:
            index = await within(self._redis.eval(_PICK, 4, *remote.keys, *args), self.call_timeout)
        except asyncio.CancelledError:
            self.release(seat)  # the script may have run: its claim is deleted in the background
            raise
        except Exception as error:
            self._failed(error)
            return choice, seat
        self._answered()
        if not isinstance(index, int) or not 0 <= index < len(order):
            # No seat left anywhere: Redis claimed order[0]; the claim stays on choice.
            if order[0].key != choice.key:
                self._send(remote, "claim", seat)
            return choice, seat
        better = order[index]
        if better.key != choice.key:
            # Redis claimed ``better`` under this id: move the local claim there too.
            self._local.release(seat)
            del self._remote[seat]
            seat = self._local.take(better.key, calendar_id=calendar_id)
            self._remote[seat] = remote
        return better, seat

    def release(self, seat: Seat, *, booked_at: float | None = None) -> None:
        """Give ``seat`` back here at once, and in Redis in the background (a booked seat stays
        there for ``ttl``, so processes ranking with older availability count it)."""
        self._local.release(seat, booked_at=booked_at)
        remote = self._remote.pop(seat, None)
        if remote is not None:
            self._send(remote, "booked" if booked_at is not None else "release", seat)

    def free_seats(self, slot: Slot, fetched_at: float) -> int:
        """Free seats of ``slot`` as this process's claims see them (Redis is consulted by
        :meth:`take_best`)."""
        return self._local.free_seats(slot, fetched_at)

    def watch(self, fetched_at: float) -> None:
        """As :meth:`SeatClaims.watch`."""
        self._local.watch(fetched_at)

    def unwatch(self, fetched_at: float) -> None:
        """As :meth:`SeatClaims.unwatch`."""
        self._local.unwatch(fetched_at)

    async def flush(self) -> None:
        """Wait for the background writes under way (each batch is bounded by a second)."""
        while self._writer is not None and not self._writer.done():
            await asyncio.wait([self._writer])

    # -- Redis ----------------------------------------------------------------------------------

    def _live(self) -> bool:
        """Whether Redis may be asked now; a skipped call counts as a fallback."""
        if time.monotonic() < self._resume_at:
            self.fallbacks += 1
            return False
        return True

    def _answered(self) -> None:
        self._slow = 0

    def _failed(self, error: BaseException) -> None:
        self.fallbacks += 1
        # One late answer is as likely this process's busy loop as a slow Redis: pause only
        # after an error or after _SLOW_IN_A_ROW late answers.
        self._slow = self._slow + 1 if isinstance(error, asyncio.TimeoutError) else _SLOW_IN_A_ROW
        if self._slow >= _SLOW_IN_A_ROW:
            self._resume_at = time.monotonic() + self.pause
        if not self._warned:
            self._warned = True
            # The error's class only: a connection error's text can carry the Redis URL.
            logger.warning(
                "Redis seat claims slow or unavailable (%s); booking goes on with this process's "
                "claims",
                type(error).__name__,
            )

    def _send(self, remote: _Remote, mode: str, seat: Seat) -> None:
        """Queue a write for the background writer (started if idle)."""
        if not self._live():
            return
        self._queue.append(
            (*remote.keys, remote.id, repr(self.ttl), mode, seat.resource_id or "",
             _epoch(seat.start), _epoch(seat.end))
        )  # fmt: skip
        if self._writer is None or self._writer.done():
            self._writer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        """Write everything queued, in order, one pipeline (one round trip) per batch: a
        burst of callers costs one connection, and a release never lands before its claim."""
        while self._queue:
            batch, self._queue = self._queue, []
            try:
                async with self._redis.pipeline(transaction=False) as pipe:
                    for args in batch:
                        pipe.eval(_WRITE, 4, *args)
                    await within(pipe.execute(), max(self.call_timeout, _BACKGROUND_TIMEOUT))
            except Exception as error:
                self._failed(error)
            else:
                self._answered()


if TYPE_CHECKING:

    def _is_a_protocol(claims: RedisSeatClaims) -> SeatClaimsProtocol:
        return claims  # mypy proves RedisSeatClaims implements the protocol
