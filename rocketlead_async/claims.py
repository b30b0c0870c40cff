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
claims, one warning is logged, :attr:`RedisSeatClaims.fallbacks` counts it, and Redis is left
alone for ``pause`` seconds (1 s). Every claim expires ``ttl`` seconds after it was written (a
booked seat ``ttl`` seconds after its booking), so a crashed process leaves nothing behind.

This module imports no Redis library: pass any ``redis.asyncio.Redis`` (redis-py >= 5).
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ._seats import Seat, SeatClaims, SeatClaimsProtocol
from .models import Slot, SlotKey

__all__ = ["RedisSeatClaims", "SeatClaims", "SeatClaimsProtocol"]

logger = logging.getLogger("rocketlead_async")

# One hash per calendar; field: claim id; value: "start end expires booked resource" (epoch
# seconds; booked "0" while the POST is in flight). The calendar id is the key's hash tag, so a
# Redis Cluster keeps each calendar's seats on one node and the scripts stay atomic there.
# Times come from the server's clock (TIME); the callers send only durations (ttl, the age of
# their availability), so hosts with skewed clocks still agree. Sent with EVAL, not EVALSHA:
# always one round trip (the server caches the compiled script), never NOSCRIPT + SCRIPT LOAD.
_PICK = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ttl = tonumber(ARGV[2])
local fetched = now - tonumber(ARGV[3])
local flat = redis.call('HGETALL', KEYS[1])
local seats = {}
for i = 1, #flat, 2 do
  local s, e, x, b, r = string.match(flat[i + 1], '^(%S+) (%S+) (%S+) (%S+) (.*)$')
  if s == nil or tonumber(x) <= now then
    redis.call('HDEL', KEYS[1], flat[i])
  elseif b == '0' or tonumber(b) > fetched then
    seats[#seats + 1] = {r, tonumber(s), tonumber(e)}
  end
end
local chosen = -1
for i = 4, #ARGV, 4 do
  local r, s, e, free = ARGV[i], tonumber(ARGV[i + 1]), tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3])
  for _, seat in ipairs(seats) do
    if seat[1] == r and seat[2] < e and s < seat[3] then free = free - 1 end
  end
  if free > 0 then chosen = (i - 4) / 4 break end
end
local i = 4 + math.max(chosen, 0) * 4
redis.call('HSET', KEYS[1], ARGV[1], ARGV[i + 1] .. ' ' .. ARGV[i + 2] .. ' '
  .. string.format('%.6f', now + ttl) .. ' 0 ' .. ARGV[i])
redis.call('PEXPIRE', KEYS[1], math.ceil(ttl * 1000))
return chosen
"""
_WRITE = """
if ARGV[3] == 'release' then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local ttl = tonumber(ARGV[2])
local booked = '0'
if ARGV[3] == 'booked' then booked = string.format('%.6f', now) end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[5] .. ' ' .. ARGV[6] .. ' '
  .. string.format('%.6f', now + ttl) .. ' ' .. booked .. ' ' .. ARGV[4])
redis.call('PEXPIRE', KEYS[1], math.ceil(ttl * 1000))
return 1
"""
_CANDIDATES = 16  # sent to the pick script: the ranked best; beyond them the local pick stands


# Background writes delay no booking; they may wait for a cold connection to be made, which
# also warms the pool for the pick that follows a lost race.
_BACKGROUND_TIMEOUT = 1.0


class _Remote:
    """A seat's claim in Redis: its field, its calendar's key, and the last write under way
    (a later write waits for it, so a release never lands before its claim)."""

    __slots__ = ("id", "key", "pending")

    def __init__(self, key: str) -> None:
        self.id = secrets.token_hex(8)
        self.key = key
        self.pending: asyncio.Task[None] | None = None


def _epoch(moment: datetime) -> str:
    return repr(moment.timestamp())


def _positive(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"RedisSeatClaims {name} must be a number > 0, not {value!r}")
    return float(value)


class RedisSeatClaims:
    """Seat claims shared through Redis by every client that uses the same ``namespace``.

    - ``redis``: a ``redis.asyncio.Redis`` (not closed by us; close it after the clients).
    - ``namespace``: prefix of every key (``<namespace>:seats:{<calendar id>}``); give each
      organisation its own, e.g. ``"rocketlead:<org id>"``.
    - ``ttl``: seconds a claim, or a booked seat, is kept (longer than any ``book()`` budget).
    - ``call_timeout``: the most a booking waits for Redis per call (seconds); writes in the
      background (claims of requested slots, releases) may take up to a second.
    - ``pause``: seconds Redis is not asked again after it failed or was slow.

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
        self._tasks: set[asyncio.Task[None]] = set()
        self._resume_at = 0.0
        self._warned = False

    def __repr__(self) -> str:
        return f"RedisSeatClaims(namespace={self.namespace!r}, ttl={self.ttl:g})"

    def key(self, calendar_id: str | None) -> str:
        """The Redis key holding ``calendar_id``'s seats."""
        return f"{self.namespace}:seats:{{{calendar_id or '-'}}}"

    # -- the protocol ---------------------------------------------------------------------------

    def take(self, key: SlotKey, *, calendar_id: str | None = None) -> Seat:
        """Claim a seat of ``key`` now, here; Redis hears of it in the background."""
        seat = self._local.take(key, calendar_id=calendar_id)
        remote = self._remote[seat] = _Remote(self.key(calendar_id))
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
        remote = self._remote[seat] = _Remote(self.key(calendar_id))
        order = list(ranked[:_CANDIDATES]) or [choice]
        args: list[str] = [remote.id, repr(self.ttl), repr(max(now - fetched_at, 0.0))]
        for slot in order:
            free = max(slot.max_parallel_bookings - slot.current_bookings, 0)
            args += [slot.resource_id or "", _epoch(slot.start), _epoch(slot.end), str(free)]
        try:
            index = await asyncio.wait_for(
                self._redis.eval(_PICK, 1, remote.key, *args), self.call_timeout
            )
        except asyncio.CancelledError:
            self.release(seat)  # the script may have run: its claim is deleted in the background
            raise
        except Exception as error:
            self._failed(error)
            return choice, seat
        if not isinstance(index, int) or not 0 <= index < len(order):
            # No seat left anywhere: Redis holds the claim on order[0]; keep ours on choice.
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
        """Wait for the background writes under way (each is bounded by ``call_timeout``)."""
        while self._tasks:
            await asyncio.wait(list(self._tasks))

    # -- Redis ----------------------------------------------------------------------------------

    def _live(self) -> bool:
        """Whether Redis may be asked now; a skipped call counts as a fallback."""
        if time.monotonic() < self._resume_at:
            self.fallbacks += 1
            return False
        return True

    def _failed(self, error: BaseException) -> None:
        self.fallbacks += 1
        self._resume_at = time.monotonic() + self.pause
        if not self._warned:
            self._warned = True
            # The error's class only: a connection error's text can carry the Redis URL.
            logger.warning(
                "Redis seat claims unavailable (%s); booking goes on with this process's claims",
                type(error).__name__,
            )

    def _send(self, remote: _Remote, mode: str, seat: Seat) -> None:
        if not self._live():
            return
        args = [remote.id, repr(self.ttl), mode, seat.resource_id or ""]
        args += [_epoch(seat.start), _epoch(seat.end)]
        after = remote.pending
        write: Callable[[], Awaitable[object]] = lambda: self._redis.eval(  # noqa: E731
            _WRITE, 1, remote.key, *args
        )
        task = asyncio.get_running_loop().create_task(self._background(write, after))
        remote.pending = task
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _background(
        self, write: Callable[[], Awaitable[object]], after: asyncio.Task[None] | None
    ) -> None:
        if after is not None:
            await asyncio.wait([after])  # never raises: the earlier write handled its errors
        try:
            await asyncio.wait_for(write(), max(self.call_timeout, _BACKGROUND_TIMEOUT))
        except Exception as error:
            self._failed(error)


if TYPE_CHECKING:

    def _is_a_protocol(claims: RedisSeatClaims) -> SeatClaimsProtocol:
        return claims  # mypy proves RedisSeatClaims implements the protocol
