"""Hand-made slots for the seat-claim tests: one resource's hour-long slots on one calendar."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import rocketlead_async as rl

T0 = datetime(2027, 3, 24, 14, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
CAL = "cal-1"


def slot(start: datetime, *, resource: str = "anna", seats: int = 2, booked: int = 0) -> rl.Slot:
    """An hour from ``start`` on ``resource`` with ``seats`` seats, ``booked`` of them taken."""
    return rl.Slot(
        start=start,
        end=start + HOUR,
        available=booked < seats,
        max_parallel_bookings=seats,
        current_bookings=booked,
        resource_id=rl.Id(resource),
    )
