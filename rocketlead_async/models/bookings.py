"""Bookings: what ``POST /connect/calendar_bookings/`` takes and returns."""

from __future__ import annotations

import enum
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import attrs

from ._base import (
    Id,
    aware_datetime,
    compact_repr,
    extra_field,
    non_empty_id,
    optional_id,
    optional_str,
)

if TYPE_CHECKING:
    from .availability import Slot

__all__ = [
    "Attempt",
    "Booking",
    "BookingRequest",
    "FieldValidation",
    "SpecialType",
    "TableSchemaField",
]


@attrs.frozen
class BookingRequest:
    """The body of a booking POST. Naive datetimes, ``end <= start``, malformed ids (see
    :func:`~rocketlead_async._validate.check_id`) and a non-``str`` name are refused here.

    Optional fields left ``None`` are omitted from the body, never sent as ``null``.
    ``entry_id`` links the booking to a lead (the response calls it ``table_entry_id``).
    ``schedule_type_id``/``schedule_type_slot_id`` are legacy, for orgs not on the resource planner.
    """

    calendar_id: str = attrs.field(validator=non_empty_id)
    start: datetime = attrs.field(validator=aware_datetime)
    end: datetime = attrs.field(validator=aware_datetime)
    resource_id: str | None = attrs.field(default=None, validator=optional_id)
    appointment_type_id: str | None = attrs.field(default=None, validator=optional_id)
    resource_slot_id: str | None = attrs.field(default=None, validator=optional_id)
    entry_id: str | None = attrs.field(default=None, validator=optional_id)
    name: str | None = attrs.field(default=None, validator=optional_str)
    schedule_type_id: str | None = attrs.field(default=None, validator=optional_id)
    schedule_type_slot_id: str | None = attrs.field(default=None, validator=optional_id)

    def __attrs_post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(
                f"end ({self.end.isoformat()}) must be after start ({self.start.isoformat()})"
            )

    @classmethod
    def from_slot(
        cls,
        slot: Slot,
        *,
        calendar_id: str,
        entry_id: str | None = None,
        name: str | None = None,
    ) -> BookingRequest:
        """The request that books ``slot`` exactly as availability showed it."""
        return cls(
            calendar_id=calendar_id,
            start=slot.start,
            end=slot.end,
            resource_id=slot.resource_id,
            appointment_type_id=slot.appointment_type_id,
            resource_slot_id=slot.resource_slot_id,
            entry_id=entry_id,
            name=name,
        )

    def for_slot(self, slot: Slot) -> BookingRequest:
        """This request moved to ``slot``: same calendar, lead and name; the slot's time,
        resource and ``resource_slot_id`` (the appointment type is kept if the slot has none)."""
        return attrs.evolve(
            self,
            start=slot.start,
            end=slot.end,
            resource_id=slot.resource_id,
            appointment_type_id=slot.appointment_type_id or self.appointment_type_id,
            resource_slot_id=slot.resource_slot_id,
        )

    def __repr__(self) -> str:
        return compact_repr(self, _REQUEST_REPR)


_REQUEST_REPR = (
    "calendar_id",
    "resource_id",
    "appointment_type_id",
    "resource_slot_id",
    "start",
    "end",
    "entry_id",
)


@attrs.frozen
class Attempt:
    """One booking POST: what was sent, how it failed (``None`` = booked), how long it took.

    A kept error carries no traceback (its frames would hold the whole booking run alive).
    """

    request: BookingRequest
    error: Exception | None
    elapsed: float


class SpecialType(str, enum.Enum):
    """What a lead-table field holds, when RocketLead knows (``specialType``)."""

    DATE = "date"
    EMAIL = "email"
    NAME = "name"
    FIRST_NAME = "firstName"
    MIDDLE_NAME = "middleName"
    LAST_NAME = "lastName"
    CHILD_FIRST_NAME = "childFirstName"
    CHILD_MIDDLE_NAME = "childMiddleName"
    CHILD_LAST_NAME = "childLastName"
    PHONE = "phone"
    URL = "url"
    CURRENCY = "currency"
    PERCENTAGE = "percentage"


@attrs.frozen
class FieldValidation:
    """A lead-table field's ``validation`` rules."""

    pattern: str | None = None
    required: bool | None = None
    min: float | None = None
    max: float | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class TableSchemaField:
    """One field of the lead table a booking is linked to (``tableSchemaFields`` values).

    ``special_type`` is a :class:`SpecialType`, or the raw string if RocketLead sends a value
    newer than this SDK (a booking that succeeded must never fail to decode over a label).
    The docs do not give types for ``frequency`` (read as a number) and ``lastSeen`` (read as an
    ISO-8601 timestamp).
    """

    friendly_name: str
    type: str
    special_type: SpecialType | str | None = None
    primary_of_special_type: bool | None = None
    hidden: bool | None = None
    description: str | None = None
    validation: FieldValidation | None = None
    frequency: float | None = None
    last_seen: datetime | None = None
    is_deprecated: bool | None = None
    converted: bool | None = None
    converted_to_custom_field_id: str | None = None
    extra: Mapping[str, Any] = extra_field()


@attrs.frozen
class Booking:
    """A booking as RocketLead returns it. ``table_entry_id`` is the linked lead, if any."""

    id: Id
    organization_id: Id
    calendar_id: Id
    start: datetime
    end: datetime
    created_at: datetime
    name: str | None = None
    resource_id: Id | None = None
    appointment_type_id: Id | None = None
    resource_slot_id: Id | None = None
    table_entry_id: Id | None = None
    table_entry_data: Mapping[str, Any] | None = attrs.field(default=None, hash=False)
    table_id: Id | None = None
    table_schema_fields: Mapping[str, TableSchemaField] | None = attrs.field(
        default=None, hash=False
    )
    calendar_schedule_type_id: Id | None = None
    calendar_schedule_type_slot_id: Id | None = None
    deleted_at: datetime | None = None
    lead_state_name: str | None = None
    lead_state_color: str | None = None
    chain_booking_group_id: Id | None = None
    extra: Mapping[str, Any] = extra_field()

    def __repr__(self) -> str:
        # Never the caller's name or lead data (a full repr is kilobytes of personal data).
        return compact_repr(self, _BOOKING_REPR)


_BOOKING_REPR = (
    "id",
    "calendar_id",
    "resource_id",
    "appointment_type_id",
    "start",
    "end",
    "table_entry_id",
    "deleted_at",
)
