"""The flow-event log: what RocketLead's automations would have seen.

A pending event whose ``due_at`` has passed (by the fake's clock) reads as fired.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from attrs import define

EventStatus = Literal["fired", "pending", "cancelled"]

BOOKED = "calendar.appointment.booked"
HAS_STARTED = "calendar.appointment.hasStarted"
HAS_ENDED = "calendar.appointment.hasEnded"
DELETED = "calendar.appointment.deleted"
ENTRY_ADDED = "table.entry.added"
LEAD_STATE_CHANGED = "table.entry.leadState.changed"


@define
class FlowEvent:
    """One automation trigger: ``at`` is when it last changed status."""

    name: str
    subject_id: str
    at: datetime
    status: EventStatus
    due_at: datetime | None = None


class EventLog:
    """Append-only list of flow events, settled against a clock on every read."""

    def __init__(self, now: Callable[[], datetime]) -> None:
        self._now = now
        self._events: list[FlowEvent] = []

    def fire(self, name: str, subject_id: str) -> None:
        """Record an event that happens now."""
        self._events.append(FlowEvent(name, subject_id, self._now(), "fired"))

    def schedule(self, name: str, subject_id: str, due_at: datetime) -> None:
        """Record an event that will fire at ``due_at``."""
        self._events.append(FlowEvent(name, subject_id, self._now(), "pending", due_at))

    def cancel_pending(self, subject_id: str) -> None:
        """Cancel the subject's events that have not fired yet."""
        self._settle()
        for event in self._events:
            if event.subject_id == subject_id and event.status == "pending":
                event.status = "cancelled"
                event.at = self._now()

    def all(self) -> list[FlowEvent]:
        """Every event so far, oldest first."""
        self._settle()
        return list(self._events)

    def _settle(self) -> None:
        now = self._now()
        for event in self._events:
            if event.status == "pending" and event.due_at is not None and event.due_at <= now:
                event.status = "fired"
                event.at = event.due_at
