"""The namespaces a :class:`RocketLeadClient` exposes, one per API area."""

from .availability import AvailabilityResource
from .bookings import BookingsResource
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
