"""The resource-planner lookups: calendars, resources, appointment types, slots, blockers and
the two many-to-many mappings. The docs say to cache them: they rarely change."""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

from .. import models
from .._retry import RetryPolicy
from ._base import Resource as _Resource
from ._base import path_id, query_id

if TYPE_CHECKING:
    # The models load on a namespace's first call (models.LAZY), not with the SDK.
    from ..models import (
        AppointmentType,  # noqa: F401 - a generic base's argument (a string)
        AppointmentTypeResourceMapping,
        Calendar,  # noqa: F401 - a generic base's argument (a string)
        Resource,  # noqa: F401 - a generic base's argument (a string)
        ResourceCalendarMapping,
        ResourceSlot,
        ResourceSlotBlocker,
        Table,  # noqa: F401 - a generic base's argument (a string)
    )

__all__ = [
    "AppointmentTypeResourceMappingsResource",
    "AppointmentTypesResource",
    "CalendarsResource",
    "CollectionResource",
    "ResourceCalendarMappingsResource",
    "ResourceSlotBlockersResource",
    "ResourceSlotsResource",
    "ResourcesResource",
    "TablesResource",
]

M = TypeVar("M")


class _Lookup(_Resource, Generic[M]):
    _path: str
    _model_name: str  # in rocketlead_async.models

    @property
    def _model(self) -> type[M]:
        model: type[M] = getattr(models, self._model_name)
        return model


class CollectionResource(_Lookup[M]):
    """A ``GET collection/`` + ``GET collection/{id}`` pair."""

    async def list(
        self, *, timeout: float | None = None, retry: RetryPolicy | None = None
    ) -> list[M]:
        """Every object of this kind in the organization."""
        return await self._list(self._path, self._model, timeout=timeout, retry=retry)

    async def get(
        self, id: str, *, timeout: float | None = None, retry: RetryPolicy | None = None
    ) -> M:
        """One object by id; :class:`NotFoundError` if it is not in your organization."""
        return await self._get(self._path + path_id(id), self._model, timeout=timeout, retry=retry)


class CalendarsResource(CollectionResource["Calendar"]):
    """``/connect/calendar/`` (singular, as documented)."""

    _path = "/connect/calendar/"
    _model_name = "Calendar"


class ResourcesResource(CollectionResource["Resource"]):
    """``/connect/resources/``."""

    _path = "/connect/resources/"
    _model_name = "Resource"


class AppointmentTypesResource(CollectionResource["AppointmentType"]):
    """``/connect/appointment_types/``."""

    _path = "/connect/appointment_types/"
    _model_name = "AppointmentType"


class TablesResource(CollectionResource["Table"]):
    """``/connect/tables/``: lead pools with their lead states."""

    _path = "/connect/tables/"
    _model_name = "Table"


class _FilteredListResource(_Lookup[M]):
    async def _filtered(
        self,
        filters: dict[str, str | None],
        timeout: float | None,
        retry: RetryPolicy | None,
    ) -> list[M]:
        params = {key: query_id(value, key) for key, value in filters.items() if value is not None}
        return await self._list(
            self._path, self._model, timeout=timeout, retry=retry, params=params or None
        )


class ResourceSlotsResource(_FilteredListResource["ResourceSlot"]):
    """``/connect/resource_slots/?calendarId=``: recurring bookable windows."""

    _path = "/connect/resource_slots/"
    _model_name = "ResourceSlot"

    async def list(
        self, *, calendar_id: str, timeout: float | None = None, retry: RetryPolicy | None = None
    ) -> list[ResourceSlot]:
        """The calendar's recurring windows."""
        return await self._filtered({"calendarId": calendar_id}, timeout, retry)


class ResourceSlotBlockersResource(_FilteredListResource["ResourceSlotBlocker"]):
    """``/connect/resource_slot_blockers/?calendarId=``: vacations, holidays, closures."""

    _path = "/connect/resource_slot_blockers/"
    _model_name = "ResourceSlotBlocker"

    async def list(
        self, *, calendar_id: str, timeout: float | None = None, retry: RetryPolicy | None = None
    ) -> list[ResourceSlotBlocker]:
        """The calendar's blockers."""
        return await self._filtered({"calendarId": calendar_id}, timeout, retry)


class ResourceCalendarMappingsResource(_FilteredListResource["ResourceCalendarMapping"]):
    """``/connect/resource_calendar_mappings/``: which resource serves which calendar."""

    _path = "/connect/resource_calendar_mappings/"
    _model_name = "ResourceCalendarMapping"

    async def list(
        self,
        *,
        calendar_id: str | None = None,
        resource_id: str | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> list[ResourceCalendarMapping]:
        """The mappings, optionally filtered by calendar and/or resource."""
        return await self._filtered(
            {"calendarId": calendar_id, "resourceId": resource_id}, timeout, retry
        )


class AppointmentTypeResourceMappingsResource(
    _FilteredListResource["AppointmentTypeResourceMapping"]
):
    """``/connect/appointment_type_resource_mappings/``: which resource offers which type."""

    _path = "/connect/appointment_type_resource_mappings/"
    _model_name = "AppointmentTypeResourceMapping"

    async def list(
        self,
        *,
        appointment_type_id: str | None = None,
        resource_id: str | None = None,
        calendar_id: str | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> list[AppointmentTypeResourceMapping]:
        """The mappings, optionally filtered by appointment type, resource and/or calendar
        (``calendarId``, which the API documents as a filter of both mapping listings)."""
        filters = {
            "appointmentTypeId": appointment_type_id,
            "resourceId": resource_id,
            "calendarId": calendar_id,
        }
        return await self._filtered(filters, timeout, retry)
