"""``ManualClock``: a "now" that moves only when a test moves it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

__all__ = ["ManualClock"]


class ManualClock:
    """A controllable wall clock for ``FakeRocketLead(now=clock)``.

    Calling it returns the current (timezone-aware) time; :meth:`advance` and :meth:`set` move it.
    Flow events such as ``calendar.appointment.hasStarted`` fire when it passes their time.
    """

    def __init__(self, start: datetime | None = None) -> None:
        start = datetime.now(timezone.utc) if start is None else start
        if start.utcoffset() is None:
            raise ValueError("start must be a timezone-aware datetime")
        self._now = start

    def __call__(self) -> datetime:
        return self._now

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by ``delta`` (a ``timedelta`` or seconds); returns the new time."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=delta)
        if step < timedelta(0):
            raise ValueError("a clock only moves forward; use set() to go back")
        self._now += step
        return self._now

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (timezone-aware)."""
        if moment.utcoffset() is None:
            raise ValueError("moment must be a timezone-aware datetime")
        self._now = moment

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()})"
