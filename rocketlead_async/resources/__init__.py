"""The namespaces a :class:`RocketLeadClient` exposes, one per API area."""

from typing import TYPE_CHECKING, Any

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
    module = LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


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
