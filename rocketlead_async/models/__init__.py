"""The typed models: snake_case attrs classes for the camelCase wire format."""

from ._base import Id
from .availability import Availability, AvailabilityMeta, Slot, SlotKey
from .bookings import (
    Attempt,
    Booking,
    BookingRequest,
    FieldValidation,
    SpecialType,
    TableSchemaField,
)
from .leads import LeadEntry, LeadRequest
from .lookups import (
    AppointmentType,
    AppointmentTypeResourceMapping,
    Calendar,
    LeadState,
    Resource,
    ResourceCalendarMapping,
    ResourceSlot,
    ResourceSlotBlocker,
    Table,
)

__all__ = [
    "AppointmentType",
    "AppointmentTypeResourceMapping",
    "Attempt",
    "Availability",
    "AvailabilityMeta",
    "Booking",
    "BookingRequest",
    "Calendar",
    "FieldValidation",
    "Id",
    "LeadEntry",
    "LeadRequest",
    "LeadState",
    "Resource",
    "ResourceCalendarMapping",
    "ResourceSlot",
    "ResourceSlotBlocker",
    "Slot",
    "SlotKey",
    "SpecialType",
    "Table",
    "TableSchemaField",
]
