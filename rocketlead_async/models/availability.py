"""Availability: the slots ``GET /connect/availability/`` returns, and their meta data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

import attrs

from .._validate import check_aware, check_int
from ._base import Id, extra_field

__all__ = ["Availability", "AvailabilityMeta", "Slot", "SlotKey", "rank_nearest"]

SlotKey = tuple[Id | None, datetime, datetime]
"""What identifies a slot for "already tried": (resource id, start, end)."""


@attrs.frozen
class Slot:
    """One bookable (or full) slot of one resource.

    Pass it to :meth:`BookingRequest.from_slot`; its ``resource_slot_id`` must go back unchanged.
    """

    start: datetime
    end: datetime
    available: bool
    max_parallel_bookings: int
    current_bookings: int
    resource_id: Id | None = None
    resource_name: str | None = None
    resource_color: str | None = None
    resource_slot_id: Id | None = None
    appointment_type_id: Id | None = None
    extra: Mapping[str, Any] = extra_field()

    @property
    def has_room(self) -> bool:
        """``available`` and fewer bookings than the resource's capacity."""
        return self.available and self.current_bookings < self.max_parallel_bookings

    @property
    def duration(self) -> timedelta:
        """``end - start``."""
        return self.end - self.start

    @property
    def key(self) -> SlotKey:
        """(resource id, start, end): the identity recovery uses to never retry a slot."""
        return (self.resource_id, self.start, self.end)


def rank_nearest(slots: Iterable[Slot], when: datetime, resource_id: str | None) -> list[Slot]:
    """``slots`` by distance of their start from ``when``; ties go to ``resource_id``'s slots,
    then to the earlier start. The order of the ``"nearest"`` picker."""
    return sorted(slots, key=lambda s: (abs(s.start - when), s.resource_id != resource_id, s.start))


@attrs.frozen
class AvailabilityMeta:
    """The appointment type's facts that come with an availability answer."""

    appointment_type_name: str | None = None
    default_booking_length: int | None = None
    buffer_after: int | None = None
    dynamic_length: bool | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class Availability:
    """An availability answer: ``slots`` (wire key ``data``) and ``meta``."""

    slots: list[Slot] = attrs.field(hash=False)
    meta: AvailabilityMeta = attrs.field(factory=AvailabilityMeta)
    extra: Mapping[str, Any] = extra_field()

    def bookable(self) -> list[Slot]:
        """The slots that can be booked now: ``available`` and with room."""
        return [slot for slot in self.slots if slot.has_room]

    def nearest(
        self,
        when: datetime,
        *,
        resource_id: str | None = None,
        duration: timedelta | None = None,
        limit: int | None = None,
    ) -> list[Slot]:
        """The bookable slots closest to ``when`` (what the caller asked for), best first.

        Ranked by ``|slot.start - when|``; at equal distance ``resource_id``'s slots come first
        (a caller's preferred trainer), then the earlier one, then availability's order.
        ``duration`` keeps only slots of that length; ``limit`` caps the list. ``when`` must be
        timezone-aware.
        """
        check_aware(when, "when")
        if limit is not None:
            check_int(limit, "limit", minimum=0)
        slots = self.bookable()
        if duration is not None:
            slots = [slot for slot in slots if slot.duration == duration]
        return rank_nearest(slots, when, resource_id)[:limit]
