"""The typed models: snake_case attrs classes for the camelCase wire format.

The lookup and lead models are imported on first use (PEP 562): a client that books never
needs them, and making attrs classes is most of what importing the SDK costs.
"""

from typing import TYPE_CHECKING, Any

from .. import _lazy
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

if TYPE_CHECKING:
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

LAZY = {
    **dict.fromkeys(("LeadEntry", "LeadRequest"), "leads"),
    **dict.fromkeys(
        (
            "AppointmentType",
            "AppointmentTypeResourceMapping",
            "Calendar",
            "LeadState",
            "Resource",
            "ResourceCalendarMapping",
            "ResourceSlot",
            "ResourceSlotBlocker",
            "Table",
        ),
        "lookups",
    ),
}
"""Model name -> the module of this package that defines it (imported on first use)."""


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, LAZY, globals(), name)


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
