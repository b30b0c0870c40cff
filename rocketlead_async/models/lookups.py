"""Resource-planner lookups and lead tables: rarely-changing objects a booking flow reads.

The API documents these single objects only as free-form: each model types the fields a booking
flow relies on and keeps everything else in ``extra``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from ._base import Id, extra_field

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

__all__ = [
    "AppointmentType",
    "AppointmentTypeResourceMapping",
    "Calendar",
    "LeadState",
    "Resource",
    "ResourceCalendarMapping",
    "ResourceSlot",
    "ResourceSlotBlocker",
    "Table",
]


@attrs.frozen
class Calendar:
    """A calendar (a location). ``tzdata`` is its IANA zone: do local-time math in it."""

    id: Id
    name: str | None = None
    tzdata: str | None = None
    organization_id: Id | None = None
    extra: Mapping[str, Any] = extra_field()

    @property
    def zoneinfo(self) -> ZoneInfo:
        """The calendar's zone; ``ValueError`` if it has none or the name is unknown."""
        # Imported here: zoneinfo costs ~2.5 ms at import (it reads sysconfig), and only
        # local-time math needs it.
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        if not self.tzdata:
            raise ValueError(f"calendar {self.id!r} has no tzdata")
        try:
            return ZoneInfo(self.tzdata)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"calendar {self.id!r} has an unknown zone {self.tzdata!r}") from exc


@attrs.frozen
class Resource:
    """A bookable resource (a trainer, a room). ``max_parallel_bookings`` is its capacity."""

    id: Id
    name: str | None = None
    color: str | None = None
    max_parallel_bookings: int | None = None
    organization_id: Id | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class AppointmentType:
    """What can be booked: ``booking_length`` is the duration and ``search_length`` the slot-search
    step, both in minutes."""

    id: Id
    name: str | None = None
    booking_length: int | None = None
    search_length: int | None = None
    organization_id: Id | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class ResourceSlot:
    """A recurring bookable window of a resource in a calendar (its schedule is in ``extra``:
    the docs do not name those fields)."""

    id: Id
    calendar_id: Id | None = None
    resource_id: Id | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class ResourceSlotBlocker:
    """A vacation, holiday or closure; ``resource_id`` ``None`` blocks the whole calendar."""

    id: Id
    calendar_id: Id | None = None
    resource_id: Id | None = None
    name: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class ResourceCalendarMapping:
    """Which resource serves which calendar."""

    resource_id: Id
    calendar_id: Id
    id: Id | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class AppointmentTypeResourceMapping:
    """Which resource offers which appointment type."""

    appointment_type_id: Id
    resource_id: Id
    id: Id | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class LeadState:
    """A lead state of a table; the one with ``default`` true is "new"."""

    id: Id
    name: str | None = None
    color: str | None = None
    default: bool = False
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class Table:
    """A lead pool. The docs do not name the lead-state list's field; this SDK reads
    ``leadStates`` (anything else stays in ``extra``)."""

    id: Id
    name: str | None = None
    lead_states: list[LeadState] = attrs.field(factory=list, hash=False)
    organization_id: Id | None = None
    extra: Mapping[str, Any] = extra_field()

    @property
    def default_lead_state(self) -> LeadState | None:
        """The lead state with ``default: true`` (the "new" state), if the table lists one."""
        return next((state for state in self.lead_states if state.default), None)
