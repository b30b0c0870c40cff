"""``client.availability``: ``GET /connect/availability/``."""

from __future__ import annotations

from datetime import datetime

from .._retry import RetryPolicy
from .._validate import check_int
from ..models import Availability
from ._base import Resource, aware, query_id

__all__ = ["AvailabilityResource"]


class AvailabilityResource(Resource):
    """Bookable slots of a calendar for an appointment type."""

    async def get(
        self,
        *,
        calendar_id: str,
        appointment_type_id: str,
        start: datetime,
        end: datetime,
        resource_id: str | None = None,
        include_unavailable: bool = False,
        step_length: int | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> Availability:
        """Slots between ``start`` and ``end`` (aware datetimes). Full slots can come back too:
        use :meth:`Availability.bookable` for the ones with room. ``step_length`` is in minutes."""
        params = {
            "calendarId": query_id(calendar_id, "calendar_id"),
            "appointmentTypeId": query_id(appointment_type_id, "appointment_type_id"),
            "start": aware(start, "start"),
            "end": aware(end, "end"),
        }
        if end <= start:
            raise ValueError(f"end ({params['end']}) must be after start ({params['start']})")
        if resource_id is not None:
            params["resourceId"] = query_id(resource_id, "resource_id")
        if include_unavailable:
            params["includeUnavailable"] = "true"
        if step_length is not None:
            params["stepLength"] = str(check_int(step_length, "step_length (minutes)"))
        return await self._get(
            "/connect/availability/", Availability, timeout=timeout, retry=retry, params=params
        )
