"""SeatClaims (in-memory): what it keeps, and for how long. (The protocol both implementations
share is tested in tests/claims/test_protocol.py.)"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import rocketlead_async as rl
from rocketlead_async.recovery import SeatClaims

T0 = datetime(2027, 3, 24, 14, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def slot(start: datetime, *, seats: int = 2) -> rl.Slot:
    return rl.Slot(
        start=start,
        end=start + HOUR,
        available=True,
        max_parallel_bookings=seats,
        current_bookings=0,
        resource_id=rl.Id("anna"),
    )


def test_a_booked_seat_nobody_in_flight_can_miss_is_not_kept() -> None:
    """No call ranks with availability older than the booking: the server's answers already
    count it, so keeping it would only grow memory and every scan."""
    claims = SeatClaims()
    claims.watch(11.0)  # fetched after the booking below
    claims.release(claims.take(slot(T0).key), booked_at=10.0)

    assert claims.remembered() == 0
    assert claims.free_seats(slot(T0), fetched_at=9.0) == 2


def test_a_booked_seat_is_kept_while_an_older_view_is_in_flight() -> None:
    claims = SeatClaims()
    claims.watch(8.0)
    claims.watch(9.0)
    claims.release(claims.take(slot(T0).key), booked_at=10.0)
    claims.release(claims.take(slot(T0 + 3 * HOUR).key), booked_at=8.5)

    assert claims.remembered() == 2
    claims.unwatch(8.0)  # only the view of 9.0 is left: the 8.5 booking is in it
    assert claims.remembered() == 1
    assert claims.free_seats(slot(T0), fetched_at=9.0) == 1
    claims.unwatch(9.0)
    assert claims.remembered() == 0


def test_charging_counts_claims_in_flight_only() -> None:
    claims = SeatClaims()
    claims.watch(0.0)
    claims.take(slot(T0).key)
    claims.release(claims.take(slot(T0).key), booked_at=1.0)
    assert claims.charging() == 1
    assert claims.remembered() == 1
