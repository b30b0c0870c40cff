"""The namespaces a :class:`RocketLeadClient` exposes, one per API area."""

from typing import TYPE_CHECKING, Any

from .. import _lazy
from .availability import AvailabilityResource
from .bookings import BookingsResource

if TYPE_CHECKING:
    from .leads import LeadsResource
    from .lookups import (
        AppointmentTypeResourceMappingsResource,
        AppointmentTypesResource,
        CalendarsResource,
        ResourceCalendarMappingsResource,
        ResourceSlotBlockersResource,
        ResourceSlotsResource,
        ResourcesResource,
        TablesResource,
    )

LAZY = {
    "LeadsResource": "leads",
    **dict.fromkeys(
        (
            "AppointmentTypeResourceMappingsResource",
            "AppointmentTypesResource",
            "CalendarsResource",
            "ResourceCalendarMappingsResource",
            "ResourceSlotBlockersResource",
            "ResourceSlotsResource",
            "ResourcesResource",
            "TablesResource",
        ),
        "lookups",
    ),
}
"""Namespace class -> the module of this package that defines it (imported on first use)."""


def __getattr__(name: str) -> Any:
    return _lazy.load(__name__, LAZY, globals(), name)


__all__ = [
    "AppointmentTypeResourceMappingsResource",
    "AppointmentTypesResource",
    "AvailabilityResource",
    "BookingsResource",
    "CalendarsResource",
    "LeadsResource",
    "ResourceCalendarMappingsResource",
    "ResourceSlotBlockersResource",
    "ResourceSlotsResource",
    "ResourcesResource",
    "TablesResource",
]
