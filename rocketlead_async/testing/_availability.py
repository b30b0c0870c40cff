"""Slot computation: pure functions over records, no store and no I/O.

A resource slot is a weekly window in the calendar's local time. For each local day in the
queried range, the window is placed in the calendar's zone (so 09:00 is 08:00Z in CET and 07:00Z
in CEST, the switch day included); candidate starts follow every ``step`` of elapsed time from
the window start while ``start + booking length <= window end``, and only candidates entirely
inside the queried range are kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, timedelta, timezone, tzinfo

from attrs import frozen

from ._records import AppointmentType, Blocker, Booking, JsonObject, Resource, ResourceSlot
from ._time import format_ts


@frozen
class ComputedSlot:
    """One candidate booking of one resource, with its occupancy."""

    resource: Resource
    window: ResourceSlot
    appointment_type_id: str
    start: datetime
    end: datetime
    current_bookings: int
    blocked: bool

    @property
    def available(self) -> bool:
        return not self.blocked and self.current_bookings < self.resource.max_parallel_bookings

    def to_json(self) -> JsonObject:
        return {
            "resourceId": self.resource.id,
            "resourceName": self.resource.name,
            "resourceColor": self.resource.color,
            "resourceSlotId": self.window.id,
            "appointmentTypeId": self.appointment_type_id,
            "startDateTime": format_ts(self.start),
            "endDateTime": format_ts(self.end),
            "maxParallelBookings": self.resource.max_parallel_bookings,
            "currentBookings": self.current_bookings,
            "available": self.available,
        }


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    """Half-open intervals [a_start, a_end) and [b_start, b_end) share time."""
    return a_start < b_end and b_start < a_end


def local_days(zone: tzinfo, start: datetime, end: datetime) -> Iterator[date]:
    """Every calendar-local date touched by [start, end]."""
    day = start.astimezone(zone).date()
    last = end.astimezone(zone).date()
    while day <= last:
        yield day
        day += timedelta(days=1)


def window_bounds(window: ResourceSlot, zone: tzinfo, day: date) -> tuple[datetime, datetime]:
    """The window's occurrence on ``day`` as UTC instants."""
    opens = datetime.combine(day, window.start_time, tzinfo=zone)
    closes = datetime.combine(day, window.end_time, tzinfo=zone)
    return opens.astimezone(timezone.utc), closes.astimezone(timezone.utc)


def candidate_starts(
    opens: datetime, closes: datetime, length: timedelta, step: timedelta
) -> Iterator[datetime]:
    """Starts every ``step`` from ``opens`` while a booking of ``length`` still fits."""
    start = opens
    while start + length <= closes:
        yield start
        start += step


def count_overlapping(
    bookings: Iterable[Booking], resource_id: str, start: datetime, end: datetime
) -> int:
    """Bookings of that resource sharing time with [start, end)."""
    return sum(
        1 for b in bookings if b.resource_id == resource_id and overlaps(b.start, b.end, start, end)
    )


def peak_occupancy(bookings: Iterable[Booking]) -> int:
    """The most of ``bookings`` that share one instant ([start, end) intervals)."""
    edges = sorted([(b.start, 1) for b in bookings] + [(b.end, -1) for b in bookings])
    now = peak = 0
    for _, step in edges:  # at equal times -1 sorts first: back-to-back is no overlap
        now += step
        peak = max(peak, now)
    return peak


def is_blocked(
    blockers: Iterable[Blocker], resource_id: str, start: datetime, end: datetime
) -> bool:
    """A resource-specific or calendar-wide blocker shares time with [start, end)."""
    return any(
        b.resource_id in (None, resource_id) and overlaps(b.start, b.end, start, end)
        for b in blockers
    )


def compute_slots(
    *,
    zone: tzinfo,
    appointment_type: AppointmentType,
    resources: Sequence[Resource],
    windows: Iterable[ResourceSlot],
    bookings: Iterable[Booking],
    blockers: Sequence[Blocker],
    start: datetime,
    end: datetime,
    step_minutes: int | None = None,
    include_blocked: bool = False,
) -> list[ComputedSlot]:
    """All slots of ``resources`` in [start, end], sorted by start then resource name.

    ``windows`` and ``blockers`` must already be those of one calendar; full slots are kept
    (``available`` false), blocked ones only with ``include_blocked``.
    """
    by_id = {r.id: r for r in resources}
    booked = [b for b in bookings if b.resource_id in by_id]
    length = timedelta(minutes=appointment_type.booking_length)
    step = timedelta(minutes=step_minutes or appointment_type.search_length)
    slots: list[ComputedSlot] = []
    for window in windows:
        resource = by_id.get(window.resource_id)
        if resource is None or appointment_type.id not in window.appointment_type_ids:
            continue
        for day in local_days(zone, start, end):
            if day.isoweekday() != window.weekday:
                continue
            opens, closes = window_bounds(window, zone, day)
            for slot_start in candidate_starts(opens, closes, length, step):
                slot_end = slot_start + length
                if slot_start < start or slot_end > end:
                    continue
                blocked = is_blocked(blockers, resource.id, slot_start, slot_end)
                if blocked and not include_blocked:
                    continue
                current = count_overlapping(booked, resource.id, slot_start, slot_end)
                slots.append(
                    ComputedSlot(
                        resource,
                        window,
                        appointment_type.id,
                        slot_start,
                        slot_end,
                        current,
                        blocked,
                    )
                )
    slots.sort(key=lambda s: (s.start, s.resource.name, s.resource.id, s.window.id))
    return slots


def windows_producing(
    *,
    zone: tzinfo,
    windows: Iterable[ResourceSlot],
    booking_length: int,
    start: datetime,
    end: datetime,
) -> list[ResourceSlot]:
    """Windows that yield exactly [start, end) for some whole-minute ``stepLength``.

    Any whole-minute offset from the window start is reachable with a suitable step, so a
    booking made from an availability query with a custom ``stepLength`` stays bookable.
    """
    if end - start != timedelta(minutes=booking_length):
        return []
    day = start.astimezone(zone).date()
    found = []
    for window in windows:
        if day.isoweekday() != window.weekday:
            continue
        opens, closes = window_bounds(window, zone, day)
        offset = start - opens
        if opens <= start and end <= closes and offset % timedelta(minutes=1) == timedelta(0):
            found.append(window)
    return found
