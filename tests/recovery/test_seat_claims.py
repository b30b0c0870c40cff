"""SeatClaims: how sibling book() calls on one client see each other's seats."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import rocketlead_async as rl
from rocketlead_async.recovery import SeatClaims

T0 = datetime(2027, 3, 24, 14, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)


def slot(start: datetime, *, resource: str = "anna", seats: int = 2, booked: int = 0) -> rl.Slot:
    return rl.Slot(
        start=start,
        end=start + HOUR,
        available=booked < seats,
        max_parallel_bookings=seats,
        current_bookings=booked,
        resource_id=rl.Id(resource),
    )


def test_a_claim_takes_a_seat_of_every_overlapping_slot_of_that_resource() -> None:
    claims = SeatClaims()
    claims.take(slot(T0).key)

    assert claims.free_seats(slot(T0), fetched_at=0.0) == 1
    assert claims.free_seats(slot(T0 + HOUR / 2), fetched_at=0.0) == 1  # overlaps
    assert claims.free_seats(slot(T0 + HOUR), fetched_at=0.0) == 2  # back to back: free
    assert claims.free_seats(slot(T0, resource="ben"), fetched_at=0.0) == 2
    assert claims.charging() == 1


def test_a_released_claim_gives_the_seat_back() -> None:
    claims = SeatClaims()
    first, second = claims.take(slot(T0).key), claims.take(slot(T0).key)
    assert claims.free_seats(slot(T0), fetched_at=0.0) == 0

    claims.release(first)
    assert claims.free_seats(slot(T0), fetched_at=0.0) == 1
    claims.release(second)
    assert claims.free_seats(slot(T0), fetched_at=0.0) == 2
    assert claims.charging() == 0


def test_a_booked_seat_counts_only_against_availability_fetched_before_it() -> None:
    claims = SeatClaims()
    claims.release(claims.take(slot(T0).key), booked_at=10.0)

    # Fetched before the booking was confirmed: the answer cannot show it yet.
    assert claims.free_seats(slot(T0), fetched_at=9.0) == 1
    # Fetched after: the server's current_bookings already counts it.
    assert claims.free_seats(slot(T0, booked=1), fetched_at=11.0) == 1
    assert claims.charging() == 0


def test_old_bookings_are_forgotten() -> None:
    claims = SeatClaims()
    claims.release(claims.take(slot(T0).key), booked_at=10.0)
    claims.release(claims.take(slot(T0 + 3 * HOUR).key), booked_at=10.0 + 301)

    assert claims.free_seats(slot(T0), fetched_at=0.0) == 2  # the first one is gone
    assert claims.free_seats(slot(T0 + 3 * HOUR), fetched_at=0.0) == 1


def test_free_seats_never_go_below_zero() -> None:
    claims = SeatClaims()
    claims.take(slot(T0).key)
    assert claims.free_seats(slot(T0, booked=2), fetched_at=0.0) == 0
