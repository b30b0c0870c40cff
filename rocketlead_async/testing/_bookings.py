"""Bookings: validation against the slot algorithm, the atomic capacity check, races, JSON.

Booking wire shape: ``organizationId, calendarId, id, name, createdAt, startDateTime,
endDateTime, resourceId, appointmentTypeId, resourceSlotId, deletedAt (null),
chainBookingGroupId (null)``; with a linked lead also ``tableEntryId, tableEntryData, tableId,
tableSchemaFields, leadStateName, leadStateColor``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from ._availability import count_overlapping, is_blocked, windows_producing
from ._errors import ApiError, not_found, validation
from ._events import BOOKED, DELETED, HAS_ENDED, HAS_STARTED, EventLog
from ._leads import schema_fields
from ._records import AppointmentType, Booking, Calendar, JsonObject, Resource, ResourceSlot
from ._state import Store
from ._time import format_ts
from ._validate import optional_str, required_str, required_timestamp

SLOT_TAKEN = "The selected time slot is no longer available"
RACE_CALLER = "Walk-in (race)"


class Bookings:
    """Booking operations for one store, event log and clock, plus race injection."""

    def __init__(self, store: Store, events: EventLog, now: Callable[[], datetime]) -> None:
        self._store = store
        self._events = events
        self._now = now
        self.races_pending = 0

    def create(self, organization_id: str, body: JsonObject) -> Booking:
        """Validate, recheck capacity and insert, all without yielding to the event loop."""
        store = self._store
        calendar_id = required_str(body, "calendarId")
        start = required_timestamp(body, "startDateTime")
        end = required_timestamp(body, "endDateTime")
        if end <= start:
            raise validation("endDateTime must be after startDateTime")
        resource_id = required_str(body, "resourceId")
        type_id = required_str(body, "appointmentTypeId")
        calendar = store.referenced(store.calendars, calendar_id, organization_id, "calendarId")
        resource = store.referenced(store.resources, resource_id, organization_id, "resourceId")
        appointment_type = store.referenced(
            store.appointment_types, type_id, organization_id, "appointmentTypeId"
        )
        entry_id = optional_str(body, "entryId")
        if entry_id is not None:
            store.referenced(store.entries, entry_id, organization_id, "entryId")
        window = self._window(
            calendar, resource, appointment_type, start, end, optional_str(body, "resourceSlotId")
        )
        taken = count_overlapping(store.bookings.values(), resource.id, start, end)
        if self.races_pending and taken < resource.max_parallel_bookings:
            self.races_pending -= 1
            self._fill(
                calendar.id, resource, appointment_type.id, window.id, start, end, RACE_CALLER
            )
            taken = resource.max_parallel_bookings
        if taken >= resource.max_parallel_bookings:
            raise ApiError(400, SLOT_TAKEN)
        return self._insert(
            calendar.id,
            resource,
            appointment_type.id,
            window.id,
            start,
            end,
            name=optional_str(body, "name"),
            entry_id=entry_id,
        )

    def delete(self, organization_id: str, booking_id: str) -> None:
        """Hard delete: fire ``deleted`` and cancel the booking's pending events."""
        if self._store.owned(self._store.bookings, booking_id, organization_id) is None:
            raise not_found("Booking")
        del self._store.bookings[booking_id]
        self._events.fire(DELETED, booking_id)
        self._events.cancel_pending(booking_id)

    def fill(self, resource_id: str, start: datetime, end: datetime, name: str) -> list[Booking]:
        """Book [start, end) of the resource up to its capacity, as another caller would."""
        resource = self._store.resources.get(resource_id)
        if resource is None:
            raise ValueError(f"unknown resource {resource_id!r}")
        if start.tzinfo is None or end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")
        calendar_id, type_id, window_id = self._placement(resource, start, end)
        return self._fill(calendar_id, resource, type_id, window_id, start, end, name)

    def to_json(self, booking: Booking) -> JsonObject:
        """The booking as the API answers it, with the linked lead's current state."""
        out: JsonObject = {
            "organizationId": booking.organization_id,
            "calendarId": booking.calendar_id,
            "id": booking.id,
            "name": booking.name,
            "createdAt": format_ts(booking.created_at),
            "startDateTime": format_ts(booking.start),
            "endDateTime": format_ts(booking.end),
            "resourceId": booking.resource_id,
            "appointmentTypeId": booking.appointment_type_id,
            "resourceSlotId": booking.resource_slot_id,
            "deletedAt": None,
            "chainBookingGroupId": None,
        }
        entry_id = booking.table_entry_id
        entry = self._store.entries.get(entry_id) if entry_id is not None else None
        if entry is not None:
            table = self._store.tables[entry.table_id]
            state = table.lead_state(entry.lead_state_id)
            out.update(
                tableEntryId=entry.id,
                tableEntryData=entry.data,
                tableId=table.id,
                tableSchemaFields=schema_fields(self._store, table, entry),
                leadStateName=state.name if state else None,
                leadStateColor=state.color if state else None,
            )
        return out

    def _window(
        self,
        calendar: Calendar,
        resource: Resource,
        appointment_type: AppointmentType,
        start: datetime,
        end: datetime,
        slot_id: str | None,
    ) -> ResourceSlot:
        """The window that makes [start, end) a bookable, unblocked slot, or a 400."""
        store = self._store
        offered = store.resources_for(calendar.id, appointment_type.id)
        windows = store.windows_for(calendar.id, appointment_type.id, [resource.id])
        producing = windows_producing(
            zone=ZoneInfo(calendar.tzdata),
            windows=windows if resource in offered else [],
            booking_length=appointment_type.booking_length,
            start=start,
            end=end,
        )
        if not producing or is_blocked(store.blockers_in(calendar.id), resource.id, start, end):
            raise validation("no bookable slot at the requested time")
        if slot_id is None:
            return producing[0]
        for window in producing:
            if window.id == slot_id:
                return window
        raise validation("resourceSlotId does not match the requested slot")

    def _placement(
        self, resource: Resource, start: datetime, end: datetime
    ) -> tuple[str, str | None, str | None]:
        """Calendar, appointment type and window a booking of [start, end) would carry."""
        store = self._store
        for window in store.resource_slots.values():
            if window.resource_id != resource.id:
                continue
            zone = ZoneInfo(store.calendars[window.calendar_id].tzdata)
            for type_id in window.appointment_type_ids:
                length = store.appointment_types[type_id].booking_length
                if windows_producing(
                    zone=zone, windows=[window], booking_length=length, start=start, end=end
                ):
                    return window.calendar_id, type_id, window.id
        for mapping in store.calendar_mappings.values():
            if mapping.resource_id == resource.id:
                return mapping.calendar_id, None, None
        raise ValueError(f"resource {resource.id!r} is in no calendar")

    def _fill(
        self,
        calendar_id: str,
        resource: Resource,
        type_id: str | None,
        window_id: str | None,
        start: datetime,
        end: datetime,
        name: str,
    ) -> list[Booking]:
        taken = count_overlapping(self._store.bookings.values(), resource.id, start, end)
        return [
            self._insert(calendar_id, resource, type_id, window_id, start, end, name=name)
            for _ in range(resource.max_parallel_bookings - taken)
        ]

    def _insert(
        self,
        calendar_id: str,
        resource: Resource,
        type_id: str | None,
        window_id: str | None,
        start: datetime,
        end: datetime,
        *,
        name: str | None,
        entry_id: str | None = None,
    ) -> Booking:
        booking = Booking(
            id=self._store.new_id(),
            organization_id=resource.organization_id,
            calendar_id=calendar_id,
            resource_id=resource.id,
            appointment_type_id=type_id,
            resource_slot_id=window_id,
            name=name,
            created_at=self._now(),
            start=start.astimezone(timezone.utc),
            end=end.astimezone(timezone.utc),
            table_entry_id=entry_id,
        )
        self._store.add(self._store.bookings, booking)
        self._events.fire(BOOKED, booking.id)
        self._events.schedule(HAS_STARTED, booking.id, start)
        self._events.schedule(HAS_ENDED, booking.id, end)
        return booking
