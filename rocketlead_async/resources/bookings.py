"""``client.bookings``: create, delete, and the race-safe :meth:`BookingsResource.book`."""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, Protocol

from .._convert import unstructure
from .._retry import RetryPolicy
from ..errors import BookingOutcomeUnknown
from ..models import Attempt, Booking, BookingRequest
from ._base import Host, Resource, path_id

if TYPE_CHECKING:
    # Not imported with the SDK (its classes cost about a fifth of the import): on the first
    # book(), or with whichever of its public names the application uses first.
    from ..recovery import BookingClient, BookingOutcome, SlotRecovery

    class _BookingHost(Host, BookingClient, Protocol):
        """A client as this namespace and ``book()`` use it (``seat_claims`` included)."""


__all__ = ["BookingsResource"]

_COLLECTION = "/connect/calendar_bookings/"


class BookingsResource(Resource):
    """Bookings of calendar slots."""

    _client: _BookingHost

    def __init__(self, client: _BookingHost) -> None:
        super().__init__(client)

    async def create(
        self,
        request: BookingRequest,
        *,
        timeout: float | None = None,
        retry: RetryPolicy | None = None,
        attempts: Sequence[Attempt] | None = None,
        on_sent: Callable[[], None] | None = None,
    ) -> Booking:
        """Book one slot, once. Raises :class:`SlotUnavailableError` if the slot filled since
        availability was fetched, and :class:`BookingOutcomeUnknown` if the POST may have booked
        but no answer says so (it is then never repeated).

        ``attempts``: earlier attempts of the same booking (``book()`` passes its history); a
        :class:`BookingOutcomeUnknown` then carries them, this POST last, before
        ``on_outcome_unknown`` sees it. Without it the error's ``attempts`` holds this POST.

        ``on_sent``: called synchronously (never awaited) when the POST starts going on the
        wire: from then on the booking may exist; before it, nothing was sent. If the caller is
        cancelled after that, the client's ``on_late_outcome`` (if set) gets the answer."""
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
            history=attempts,
            late=True,
            on_sent=on_sent,
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
        client = self._client
        return await _book()(
            client,
            request,
            recovery=recovery,
            timeout=timeout,
            retry=retry,
            clock=client._transport.clock,
            claims=client.seat_claims,
            telemetry=client._transport.telemetry,
            reporter=client._transport.reporter,
        )


@functools.cache
def _book() -> Callable[..., Awaitable[BookingOutcome]]:
    """``recovery.book``, imported on the first ``book()`` (an import statement in the
    method would run the import machinery on every call)."""
    from ..recovery import book

    return book


def _none(_data: object) -> None:
    return None
