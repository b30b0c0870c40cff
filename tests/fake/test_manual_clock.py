"""ManualClock: the controllable "now" of FakeRocketLead(now=...)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from rocketlead_async.testing import ManualClock

START = datetime(2027, 3, 24, 14, tzinfo=timezone.utc)


def test_it_moves_only_when_told() -> None:
    clock = ManualClock(START)
    assert clock() == clock() == START
    assert clock.advance(90) == START + timedelta(seconds=90)
    assert clock.advance(timedelta(hours=1)) == START + timedelta(hours=1, seconds=90)
    clock.set(START)
    assert clock() == START
    assert repr(clock) == "ManualClock(2027-03-24T14:00:00+00:00)"


def test_it_refuses_naive_times_and_going_backwards() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ManualClock(datetime(2027, 3, 24, 14))
    clock = ManualClock(START)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(datetime(2027, 3, 24, 14))
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    assert clock() == START
