"""FakeRocketLead's slot computation: DST placement, steps, occupancy, blockers, window matching.

The private ``_availability`` functions are tested directly: a property test over any query
window is only practical below HTTP."""

from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from rocketlead_async.testing._availability import compute_slots, windows_producing
from rocketlead_async.testing._records import (
    AppointmentType,
    Blocker,
    Booking,
    Resource,
    ResourceSlot,
)

BERLIN = ZoneInfo("Europe/Berlin")
UTC = timezone.utc
ORG = "org"
TYPE = AppointmentType("pt", ORG, "Personal Training", booking_length=60, search_length=30)
ANNA = Resource("anna", ORG, "Anna", "#111111", 1)
BEN = Resource("ben", ORG, "Ben", "#222222", 1)
ROOM = Resource("room", ORG, "Room", "#333333", 3)


def window(
    resource: Resource, weekday: int, opens: int, closes: int, wid: str = ""
) -> ResourceSlot:
    return ResourceSlot(
        wid or f"{resource.id}-{weekday}",
        ORG,
        "cal",
        resource.id,
        weekday,
        time(opens),
        time(closes),
        (TYPE.id,),
    )


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2027, 3, day, hour, minute, tzinfo=UTC)


def booking(resource: Resource, start: datetime, end: datetime) -> Booking:
    return Booking("b", ORG, "cal", resource.id, TYPE.id, None, None, start, start, end)


def slots(**kw: object) -> list[tuple[str, datetime, int, bool]]:
    args: dict[str, object] = {
        "zone": BERLIN,
        "appointment_type": TYPE,
        "resources": [ANNA],
        "windows": [],
        "bookings": [],
        "blockers": [],
        "start": utc(22, 0),
        "end": utc(31, 0),
    }
    args.update(kw)
    computed = compute_slots(**args)  # type: ignore[arg-type]
    return [(s.resource.id, s.start, s.current_bookings, s.available) for s in computed]


def test_window_follows_local_time_across_dst() -> None:
    # Sat 27 (CET), Sun 28 (switch day, CEST from 02:00), Mon 29 (CEST): 09:00 local each.
    windows = [window(ANNA, 6, 9, 10), window(ANNA, 7, 9, 10), window(ANNA, 1, 9, 10)]
    starts = [s[1] for s in slots(windows=windows, start=utc(27, 0), end=utc(30, 0))]
    assert starts == [utc(27, 8), utc(28, 7), utc(29, 7)]


def test_window_straddling_the_switch_hour_is_shorter() -> None:
    # 01:00-04:00 local on the switch day is only two real hours long (02:00 does not exist).
    night = window(ANNA, 7, 1, 4)
    starts = [s[1] for s in slots(windows=[night], start=utc(28, 0), end=utc(29, 0))]
    assert starts == [utc(28, 0), utc(28, 0, 30), utc(28, 1)]


def test_step_defaults_to_search_length_and_can_be_overridden() -> None:
    monday = [window(ANNA, 1, 9, 11)]
    default = [s[1] for s in slots(windows=monday, end=utc(23, 0))]
    assert default == [utc(22, 8), utc(22, 8, 30), utc(22, 9)]
    hourly = [s[1] for s in slots(windows=monday, end=utc(23, 0), step_minutes=60)]
    assert hourly == [utc(22, 8), utc(22, 9)]
    fine = slots(windows=monday, end=utc(23, 0), step_minutes=15)
    assert len(fine) == 5


def test_only_slots_inside_the_query_range() -> None:
    monday = [window(ANNA, 1, 9, 12)]
    got = [s[1] for s in slots(windows=monday, start=utc(22, 8, 30), end=utc(22, 10, 30))]
    assert got == [utc(22, 8, 30), utc(22, 9), utc(22, 9, 30)]


def test_full_slots_come_back_unavailable() -> None:
    monday = [window(ANNA, 1, 9, 11)]
    taken = [booking(ANNA, utc(22, 8, 30), utc(22, 9, 30))]
    got = slots(windows=monday, bookings=taken, end=utc(23, 0))
    assert got == [
        ("anna", utc(22, 8), 1, False),
        ("anna", utc(22, 8, 30), 1, False),
        ("anna", utc(22, 9), 1, False),
    ]


def test_capacity_counts_overlapping_bookings_only() -> None:
    room = [window(ROOM, 1, 9, 10)]
    taken = [booking(ROOM, utc(22, 8), utc(22, 9))] * 2 + [booking(ROOM, utc(22, 9), utc(22, 10))]
    got = slots(resources=[ROOM], windows=room, bookings=taken, end=utc(23, 0))
    assert got == [("room", utc(22, 8), 2, True)]


def test_bookings_of_other_resources_do_not_count() -> None:
    monday = [window(ANNA, 1, 9, 10)]
    got = slots(windows=monday, bookings=[booking(BEN, utc(22, 8), utc(22, 9))], end=utc(23, 0))
    assert got == [("anna", utc(22, 8), 0, True)]


def test_blockers_hide_slots_unless_asked() -> None:
    monday = [window(ANNA, 1, 9, 11), window(BEN, 1, 9, 11)]
    lunch = Blocker("x", ORG, "cal", "anna", "Lunch", utc(22, 9), utc(22, 9, 30))
    closed = Blocker("y", ORG, "cal", None, "Closed", utc(22, 8), utc(22, 8, 15))
    base = {"resources": [ANNA, BEN], "windows": monday, "end": utc(23, 0)}
    assert slots(**base, blockers=[lunch]) == [
        ("anna", utc(22, 8), 0, True),
        ("ben", utc(22, 8), 0, True),
        ("ben", utc(22, 8, 30), 0, True),
        ("ben", utc(22, 9), 0, True),
    ]
    everything = slots(**base, blockers=[lunch, closed], include_blocked=True)
    assert [(r, s, a) for r, s, _, a in everything] == [
        ("anna", utc(22, 8), False),
        ("ben", utc(22, 8), False),
        ("anna", utc(22, 8, 30), False),
        ("ben", utc(22, 8, 30), True),
        ("anna", utc(22, 9), False),
        ("ben", utc(22, 9), True),
    ]


def test_windows_without_the_type_or_resource_are_ignored() -> None:
    other_type = ResourceSlot("w", ORG, "cal", "anna", 1, time(9), time(10), ("trial",))
    stranger = window(BEN, 1, 9, 10)
    assert slots(windows=[other_type, stranger], end=utc(23, 0)) == []


def test_windows_producing_accepts_any_whole_minute_offset() -> None:
    monday = window(ANNA, 1, 9, 12, wid="mon")
    tuesday = window(ANNA, 2, 9, 12, wid="tue")

    def producing(start: datetime, end: datetime) -> list[str]:
        found = windows_producing(
            zone=BERLIN, windows=[monday, tuesday], booking_length=60, start=start, end=end
        )
        return [w.id for w in found]

    assert producing(utc(22, 8), utc(22, 9)) == ["mon"]
    assert producing(utc(22, 8, 15), utc(22, 9, 15)) == ["mon"]
    assert producing(utc(23, 10), utc(23, 11)) == ["tue"]
    assert producing(utc(22, 10, 30), utc(22, 11, 30)) == []  # past closing
    assert producing(utc(22, 7, 30), utc(22, 8, 30)) == []  # before opening
    assert producing(utc(22, 8), utc(22, 8, 30)) == []  # wrong length
    assert producing(utc(22, 8, 0).replace(second=30), utc(22, 9, 0).replace(second=30)) == []


@settings(max_examples=60, deadline=None, database=None)
@given(
    start_minutes=st.integers(min_value=0, max_value=8 * 24 * 60),
    span_minutes=st.integers(min_value=30, max_value=3 * 24 * 60),
    step=st.sampled_from([5, 15, 20, 30, 45, 60, 90]),
)
def test_every_computed_slot_is_bookable_and_in_order(
    start_minutes: int, span_minutes: int, step: int
) -> None:
    week = [window(ANNA, d, 9, 18) for d in range(1, 8)] + [window(BEN, d, 1, 4) for d in (6, 7)]
    start = utc(22, 0) + timedelta(minutes=start_minutes)
    end = start + timedelta(minutes=span_minutes)
    computed = compute_slots(
        zone=BERLIN,
        appointment_type=TYPE,
        resources=[ANNA, BEN],
        windows=week,
        bookings=[],
        blockers=[],
        start=start,
        end=end,
        step_minutes=step,
    )
    assert [s.start for s in computed] == sorted(s.start for s in computed)
    for slot in computed:
        assert start <= slot.start
        assert slot.end <= end
        assert slot.end - slot.start == timedelta(minutes=60)
        producing = windows_producing(
            zone=BERLIN, windows=week, booking_length=60, start=slot.start, end=slot.end
        )
        assert slot.window in producing
        local = slot.start.astimezone(BERLIN)
        assert local.isoweekday() == slot.window.weekday
