"""Seat claims: how ``book()`` calls keep out of each other's way, and the in-memory kind.

Agents that lose the same race refetch the same availability; without coordination they all
charge the same best slot and all but one lose again. A call claims the seat it is about to
charge before it awaits anything, and other calls rank slots whose free seats are all claimed
last. :class:`SeatClaims` does this for the calls sharing one client;
:class:`rocketlead_async.claims.RedisSeatClaims` for calls in any process on any host. Both are
:class:`SeatClaimsProtocol`, the operations ``book()`` needs. Claims are advisory: they reorder
candidates, they never block a booking.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

import attrs

from .models import Id, Slot, SlotKey

__all__ = ["Seat", "SeatClaims", "SeatClaimsProtocol"]


@attrs.define(eq=False)
class Seat:
    """One seat a ``book()`` call charges: its slot and, once booked, when (client clock).

    Compared by identity: two calls charging the same slot hold two seats.
    """

    resource_id: Id | None
    start: datetime
    end: datetime
    calendar_id: str | None = None
    booked_at: float | None = None

    @property
    def key(self) -> SlotKey:
        """(resource id, start, end) of the seat's slot."""
        return (self.resource_id, self.start, self.end)


@runtime_checkable
class SeatClaimsProtocol(Protocol):
    """What ``book()`` asks of its seat claims (``RocketLeadClient(seat_claims=...)``).

    Times are the client's monotonic clock. ``take``, ``release``, ``free_seats``, ``watch`` and
    ``unwatch`` are synchronous and do no I/O on the caller's path, so a claim is in place
    before the call awaits anything; a shared store is written in the background and consulted
    only by :meth:`take_best`, within a small bound.
    """

    def take(self, key: SlotKey, *, calendar_id: str | None = None) -> Seat:
        """Claim one seat of the slot ``key`` (the requested one, about to be POSTed)."""
        ...

    async def take_best(
        self,
        choice: Slot,
        ranked: Sequence[Slot],
        *,
        calendar_id: str | None,
        fetched_at: float,
        now: float,
    ) -> tuple[Slot, Seat]:
        """Claim a seat of ``choice`` (picked from ``ranked``, fetched at ``fetched_at``); with
        a store shared by other processes, of the first of ``ranked`` that the store says still
        has a seat (``choice`` if none has, or if the store cannot be asked in time). The
        local claim is made before the first await."""
        ...

    def release(self, seat: Seat, *, booked_at: float | None = None) -> None:
        """Give back ``seat``; ``booked_at``: its POST booked it then."""
        ...

    def free_seats(self, slot: Slot, fetched_at: float) -> int:
        """Seats of ``slot`` (from availability fetched at ``fetched_at``) that are neither
        booked since nor being charged by another call."""
        ...

    def watch(self, fetched_at: float) -> None:
        """A call ranks with availability fetched at ``fetched_at``: seats booked after that
        must be remembered until :meth:`unwatch`."""
        ...

    def unwatch(self, fetched_at: float) -> None:
        """The call that watched ``fetched_at`` no longer ranks with that availability."""
        ...

    async def flush(self) -> None:
        """Wait for writes to a shared store that are under way (none for in-memory claims)."""
        ...


class SeatClaims:
    """The seats that ``book()`` calls sharing one client are charging, or just booked.

    The default of :class:`RocketLeadClient` (one per client, shared by ``with_options``). A
    claim lasts until its POST has answered; a seat it booked then counts as taken for
    availability fetched before the booking was confirmed, and is forgotten as soon as no call
    in flight ranks with such availability. A resource's capacity is shared by its overlapping
    slots, so a seat counts against every slot of that resource it overlaps.
    """

    __slots__ = ("_seats", "_watching")

    def __init__(self) -> None:
        self._seats: dict[Id | None, list[Seat]] = {}
        # fetched_at -> how many calls rank with availability fetched then
        self._watching: dict[float, int] = {}

    def free_seats(self, slot: Slot, fetched_at: float) -> int:
        """Seats of ``slot`` (from availability fetched at ``fetched_at``) that are neither
        booked nor being charged by a sibling call."""
        free = slot.max_parallel_bookings - slot.current_bookings
        seats = self._seats.get(slot.resource_id)
        if seats:  # nothing claimed on the resource: no scan
            start, end = slot.start, slot.end
            for seat in seats:
                if (
                    seat.start < end
                    and start < seat.end
                    and (seat.booked_at is None or seat.booked_at > fetched_at)
                ):
                    free -= 1
        return max(free, 0)

    def charging(self) -> int:
        """How many seats sibling calls are charging right now (POSTs in flight)."""
        return sum(seat.booked_at is None for seats in self._seats.values() for seat in seats)

    def remembered(self) -> int:
        """How many booked seats are kept for calls ranking with older availability."""
        return sum(seat.booked_at is not None for seats in self._seats.values() for seat in seats)

    def take(self, key: SlotKey, *, calendar_id: str | None = None) -> Seat:
        """Claim one seat of the slot ``key`` = (resource id, start, end)."""
        seat = Seat(*key, calendar_id=calendar_id)
        self._seats.setdefault(seat.resource_id, []).append(seat)
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
        """Claim a seat of ``choice``: in one process the ranking already saw every claim."""
        return choice, self.take(choice.key, calendar_id=calendar_id)

    def release(self, seat: Seat, *, booked_at: float | None = None) -> None:
        """Give back a seat taken with :meth:`take`; ``booked_at``: its POST booked it then."""
        seats = self._seats.get(seat.resource_id)
        if seats is None:
            return
        watching = self._watching
        if booked_at is not None and watching and any(at < booked_at for at in watching):
            seat.booked_at = booked_at  # a sibling's older availability cannot show it
        else:
            try:
                seats.remove(seat)
            except ValueError:
                return
            if not seats:
                del self._seats[seat.resource_id]

    def watch(self, fetched_at: float) -> None:
        """A call now ranks with availability fetched at ``fetched_at``."""
        self._watching[fetched_at] = self._watching.get(fetched_at, 0) + 1

    def unwatch(self, fetched_at: float) -> None:
        """The call that watched ``fetched_at`` is done with it; booked seats that no call in
        flight can still miss are forgotten."""
        left = self._watching.get(fetched_at, 0) - 1
        if left > 0:
            self._watching[fetched_at] = left
            return
        self._watching.pop(fetched_at, None)
        oldest = min(self._watching, default=None)
        for resource in [r for r, seats in self._seats.items() if _forget(seats, oldest)]:
            del self._seats[resource]

    async def flush(self) -> None:
        """Nothing to wait for: in-memory claims do no I/O."""


def _forget(seats: list[Seat], oldest: float | None) -> bool:
    """Drop the booked seats every watcher's availability already shows; True if none left."""
    seats[:] = [
        s for s in seats if s.booked_at is None or (oldest is not None and s.booked_at > oldest)
    ]
    return not seats
