"""The fake's stored objects and their wire format (camelCase JSON).

Wire shapes (timestamps are ``2027-03-22T13:00:00.000Z`` strings):

- Calendar ``{"id","name","tzdata","organizationId"}``
- Resource ``{"id","name","color","maxParallelBookings","organizationId"}``
- AppointmentType ``{"id","name","bookingLength","searchLength","bufferAfter","dynamicLength",
  "organizationId"}`` (lengths in minutes)
- ResourceSlot ``{"id","calendarId","resourceId","weekday","startTime","endTime",
  "appointmentTypeIds"}``: a weekly window in the calendar's local time, ISO weekday 1=Monday
- ResourceSlotBlocker ``{"id","calendarId","resourceId","name","startDateTime","endDateTime"}``
  (``resourceId`` null blocks the whole calendar)
- ResourceCalendarMapping ``{"id","resourceId","calendarId"}``
- AppointmentTypeResourceMapping ``{"id","appointmentTypeId","resourceId"}``
- Table ``{"id","name","organizationId","leadStates":[{"id","name","color","default"}],
  "customFields":[{"id","name","type"}]}``
- Lead entry ``{"id","tableId","organizationId","archived","createdAt","updatedAt","data",
  "leadStateId"}`` plus ``customFieldData`` and ``interestedInAppointmentTypeId`` when set

Every record keeps its ``organization_id`` even where the wire shape omits it, so every lookup
can be scoped to the caller's organization. Bookings are serialized in ``_bookings``.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import Any, Protocol

from attrs import frozen

from ._time import format_ts

JsonObject = dict[str, Any]


class Owned(Protocol):
    """What the store needs of every stored object."""

    @property
    def id(self) -> str: ...

    @property
    def organization_id(self) -> str: ...


class Record(Owned, Protocol):
    """A stored object the generic lookup handlers can serialize."""

    def to_json(self) -> JsonObject: ...


@frozen
class Calendar:
    """A bookable location with its IANA zone."""

    id: str
    organization_id: str
    name: str
    tzdata: str

    def to_json(self) -> JsonObject:
        return {
            "id": self.id,
            "name": self.name,
            "tzdata": self.tzdata,
            "organizationId": self.organization_id,
        }


@frozen
class Resource:
    """A trainer, room or class that takes up to ``max_parallel_bookings`` at once."""

    id: str
    organization_id: str
    name: str
    color: str
    max_parallel_bookings: int

    def to_json(self) -> JsonObject:
        return {
            "id": self.id,
            "name": self.name,
            "color": self.color,
            "maxParallelBookings": self.max_parallel_bookings,
            "organizationId": self.organization_id,
        }


@frozen
class AppointmentType:
    """What can be booked: duration and slot-search granularity, in minutes."""

    id: str
    organization_id: str
    name: str
    booking_length: int
    search_length: int
    buffer_after: int = 0

    def to_json(self) -> JsonObject:
        return {
            "id": self.id,
            "name": self.name,
            "bookingLength": self.booking_length,
            "searchLength": self.search_length,
            "bufferAfter": self.buffer_after,
            "dynamicLength": False,
            "organizationId": self.organization_id,
        }


@frozen
class ResourceSlot:
    """A recurring weekly window of one resource in one calendar (calendar-local times)."""

    id: str
    organization_id: str
    calendar_id: str
    resource_id: str
    weekday: int
    start_time: time
    end_time: time
    appointment_type_ids: tuple[str, ...]

    def to_json(self) -> JsonObject:
        return {
            "id": self.id,
            "calendarId": self.calendar_id,
            "resourceId": self.resource_id,
            "weekday": self.weekday,
            "startTime": self.start_time.strftime("%H:%M"),
            "endTime": self.end_time.strftime("%H:%M"),
            "appointmentTypeIds": list(self.appointment_type_ids),
        }


@frozen
class Blocker:
    """A closure in a calendar, for one resource or (``resource_id`` None) all of them."""

    id: str
    organization_id: str
    calendar_id: str
    resource_id: str | None
    name: str
    start: datetime
    end: datetime

    def to_json(self) -> JsonObject:
        return {
            "id": self.id,
            "calendarId": self.calendar_id,
            "resourceId": self.resource_id,
            "name": self.name,
            "startDateTime": format_ts(self.start),
            "endDateTime": format_ts(self.end),
        }


@frozen
class CalendarMapping:
    """Resource ↔ calendar."""

    id: str
    organization_id: str
    resource_id: str
    calendar_id: str

    def to_json(self) -> JsonObject:
        return {"id": self.id, "resourceId": self.resource_id, "calendarId": self.calendar_id}


@frozen
class TypeMapping:
    """Appointment type ↔ resource."""

    id: str
    organization_id: str
    appointment_type_id: str
    resource_id: str

    def to_json(self) -> JsonObject:
        return {
            "id": self.id,
            "appointmentTypeId": self.appointment_type_id,
            "resourceId": self.resource_id,
        }


@frozen
class LeadState:
    """One stage of a lead; exactly one per table is the default ("new") state."""

    id: str
    name: str
    color: str
    default: bool = False

    def to_json(self) -> JsonObject:
        return {"id": self.id, "name": self.name, "color": self.color, "default": self.default}


@frozen
class CustomField:
    """A validated extra field of a table, addressed by id in ``customFieldData``."""

    id: str
    name: str
    type: str

    def to_json(self) -> JsonObject:
        return {"id": self.id, "name": self.name, "type": self.type}


@frozen
class DataField:
    """A lead field as a booking's ``tableSchemaFields`` describes it (``key`` is its id)."""

    key: str
    friendly_name: str
    type: str
    special_type: str | None = None
    required: bool = False


@frozen
class Table:
    """A lead pool with its lead states, custom fields and known data fields."""

    id: str
    organization_id: str
    name: str
    lead_states: tuple[LeadState, ...]
    custom_fields: tuple[CustomField, ...] = ()
    data_fields: tuple[DataField, ...] = ()

    def lead_state(self, state_id: str) -> LeadState | None:
        return next((s for s in self.lead_states if s.id == state_id), None)

    def to_json(self) -> JsonObject:
        return {
            "id": self.id,
            "name": self.name,
            "organizationId": self.organization_id,
            "leadStates": [state.to_json() for state in self.lead_states],
            "customFields": [custom.to_json() for custom in self.custom_fields],
        }


@frozen
class Entry:
    """A lead entry; replaced wholesale (``attrs.evolve``) on every change."""

    id: str
    organization_id: str
    table_id: str
    created_at: datetime
    updated_at: datetime
    data: JsonObject
    lead_state_id: str
    archived: bool = False
    custom_field_data: JsonObject | None = None
    interested_in_appointment_type_id: str | None = None

    def to_json(self) -> JsonObject:
        out: JsonObject = {
            "id": self.id,
            "tableId": self.table_id,
            "organizationId": self.organization_id,
            "archived": self.archived,
            "createdAt": format_ts(self.created_at),
            "updatedAt": format_ts(self.updated_at),
            "data": self.data,
            "leadStateId": self.lead_state_id,
        }
        if self.custom_field_data is not None:
            out["customFieldData"] = self.custom_field_data
        if self.interested_in_appointment_type_id is not None:
            out["interestedInAppointmentTypeId"] = self.interested_in_appointment_type_id
        return out


@frozen
class Booking:
    """A booking of one resource for [start, end)."""

    id: str
    organization_id: str
    calendar_id: str
    resource_id: str
    appointment_type_id: str | None
    resource_slot_id: str | None
    name: str | None
    created_at: datetime
    start: datetime
    end: datetime
    table_entry_id: str | None = None
