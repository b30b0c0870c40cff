"""``rank_candidates`` on hand-made slots, and what ``SlotRecovery`` accepts."""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import rocketlead_async as rl
from rocketlead_async.recovery import rank_candidates

T0 = datetime(2027, 3, 24, 14, 0, tzinfo=timezone.utc)
HOUR = timedelta(hours=1)
HALF = timedelta(minutes=30)
REQUEST = rl.BookingRequest(
    calendar_id="cal", start=T0, end=T0 + HOUR, resource_id="own", appointment_type_id="pt"
)


def slot(resource: str, offset: timedelta, length: timedelta = HOUR) -> rl.Slot:
    start = T0 + offset
    return rl.Slot(
        start=start,
        end=start + length,
        available=True,
        max_parallel_bookings=1,
        current_bookings=0,
        resource_id=rl.Id(resource),
        appointment_type_id=rl.Id("pt"),
    )


def order(ranked: Sequence[rl.Slot]) -> list[tuple[str | None, timedelta]]:
    return [(s.resource_id, s.start - T0) for s in ranked]


def test_nearest_prefers_the_closest_start_over_the_same_resource() -> None:
    slots = [slot("own", 2 * HOUR), slot("other", HALF), slot("own", -HOUR)]
    assert order(rank_candidates("nearest", REQUEST, slots)) == [
        ("other", HALF),
        ("own", -HOUR),
        ("own", 2 * HOUR),
    ]


def test_nearest_breaks_a_same_start_tie_by_the_same_resource() -> None:
    slots = [slot("other", HALF), slot("own", HALF)]
    assert order(rank_candidates("nearest", REQUEST, slots)) == [("own", HALF), ("other", HALF)]


def test_nearest_breaks_an_equal_distance_tie_by_the_earlier_start() -> None:
    slots = [slot("other", HOUR), slot("other", -HOUR)]
    assert order(rank_candidates("nearest", REQUEST, slots)) == [
        ("other", -HOUR),
        ("other", HOUR),
    ]


def test_nearest_puts_the_same_resource_before_the_earlier_start() -> None:
    # Equal distance: the resource tie-break comes before the earlier-start one.
    slots = [slot("other", -HOUR), slot("own", HOUR)]
    assert order(rank_candidates("nearest", REQUEST, slots)) == [("own", HOUR), ("other", -HOUR)]


def test_next_after_drops_earlier_starts_and_keeps_the_same_start_elsewhere() -> None:
    slots = [slot("own", -HALF), slot("own", HOUR), slot("other", HALF), slot("other", 0 * HOUR)]
    assert order(rank_candidates("next_after", REQUEST, slots)) == [
        ("other", 0 * HOUR),
        ("other", HALF),
        ("own", HOUR),
    ]


def test_next_after_breaks_a_same_start_tie_by_the_same_resource() -> None:
    slots = [slot("other", HALF), slot("own", HALF)]
    assert order(rank_candidates("next_after", REQUEST, slots)) == [
        ("own", HALF),
        ("other", HALF),
    ]


def test_same_time_any_resource_keeps_only_the_original_start_and_end() -> None:
    slots = [
        slot("b", 0 * HOUR),
        slot("a", HALF),
        slot("own", 0 * HOUR),
        slot("c", 0 * HOUR, length=HALF),  # same start, other end
    ]
    assert order(rank_candidates("same_time_any_resource", REQUEST, slots)) == [
        ("own", 0 * HOUR),
        ("b", 0 * HOUR),
    ]


def test_a_callable_pickers_candidates_are_ranked_nearest() -> None:
    slots = [slot("own", 2 * HOUR), slot("other", -HALF), slot("own", HALF)]

    def mine(_request: rl.BookingRequest, candidates: Sequence[rl.Slot]) -> rl.Slot | None:
        return None

    assert rank_candidates(mine, REQUEST, slots) == rank_candidates("nearest", REQUEST, slots)


def test_ranking_an_empty_list_is_empty() -> None:
    assert rank_candidates("nearest", REQUEST, []) == []


offsets = st.lists(
    st.tuples(st.sampled_from(["own", "a", "b"]), st.integers(min_value=-8, max_value=8)),
    max_size=12,
)


@given(offsets)
def test_nearest_is_a_permutation_in_distance_order(spec: list[tuple[str, int]]) -> None:
    slots = [slot(resource, steps * HALF) for resource, steps in spec]
    ranked = rank_candidates("nearest", REQUEST, slots)
    assert sorted(map(id, ranked)) == sorted(map(id, slots))
    distances = [abs(s.start - T0) for s in ranked]
    assert distances == sorted(distances)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"picker": "closest"},
        {"picker": ["nearest"]},
        {"max_attempts": True},
        {"spread": 0},
        {"window": timedelta(hours=-1)},
        {"min_attempt_time": -1},
        # max_attempts=0 and a naive not_before/not_after: the bad-input table (tests/secrets).
    ],
)
def test_slot_recovery_refuses_bad_settings(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="SlotRecovery"):
        rl.SlotRecovery(**kwargs)  # type: ignore[arg-type]


def test_slot_recovery_takes_a_seeded_rng_and_a_callable_picker() -> None:
    policy = rl.SlotRecovery(picker=lambda _r, c: c[0], spread=3, rng=random.Random(1))
    assert policy.spread == 3
