"""``client.bookings``: create, delete, and the race-safe :meth:`BookingsResource.book`."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._convert import unstructure
from .._retry import RetryPolicy
from ..errors import BookingOutcomeUnknown
from ..models import Booking, BookingRequest
from ._base import Resource, path_id

if TYPE_CHECKING:
    from ..recovery import BookingOutcome, SlotRecovery

__all__ = ["BookingsResource"]

_COLLECTION = "/connect/calendar_bookings/"


class BookingsResource(Resource):
    """Bookings of calendar slots."""

    async def create(
        self,
        request: BookingRequest,
        *,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> Booking:
        """Book one slot, once. Raises :class:`SlotUnavailableError` if the slot filled since
        availability was fetched, and :class:`BookingOutcomeUnknown` if the POST may have booked
        but no answer says so (it is then never repeated)."""
        if not isinstance(request, BookingRequest):
            raise TypeError(f"request must be a BookingRequest, not {type(request).__name__}")
        return await self._send(
            "POST",
            _COLLECTION,
            Booking,
            unstructure(request),
            timeout=timeout,
            retry=retry,
            request=request,
            unknown_error=BookingOutcomeUnknown,
        )

    async def delete(
        self,
        booking_id: str,
        *,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> None:
        """Hard-delete a booking (no undo). A retried DELETE that meets 404 after an attempt with
        an unknown outcome counts as deleted."""
        path = _COLLECTION + path_id(booking_id, "booking_id")
        call = self._call("DELETE", path, _none, timeout=timeout, retry=retry)
        await self._client._transport.request(call)

    async def book(
        self,
        request: BookingRequest,
        *,
        recovery: SlotRecovery | None = None,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
    ) -> BookingOutcome:
        """Book ``request``, recovering from the slot-fill race (see :class:`SlotRecovery`)."""
        from ..recovery import book

        return await book(self._client, request, recovery=recovery, timeout=timeout, retry=retry)


def _none(_data: object) -> None:
    return None
