"""The in-memory store: one dict per kind, deterministic ids, org-scoped lookups."""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable, Iterator, Mapping
from typing import TypeVar

from ._errors import validation
from ._records import (
    AppointmentType,
    Blocker,
    Booking,
    Calendar,
    CalendarMapping,
    Entry,
    Owned,
    Resource,
    ResourceSlot,
    Table,
    TypeMapping,
)

R = TypeVar("R", bound=Owned)


class Store:
    """Everything the fake knows. Mutate only from synchronous code (no await mid-change)."""

    def __init__(self, seed: int) -> None:
        self._rng = random.Random(f"rocketlead-fake/{seed}")
        self.calendars: dict[str, Calendar] = {}
        self.resources: dict[str, Resource] = {}
        self.appointment_types: dict[str, AppointmentType] = {}
        self.resource_slots: dict[str, ResourceSlot] = {}
        self.blockers: dict[str, Blocker] = {}
        self.calendar_mappings: dict[str, CalendarMapping] = {}
        self.type_mappings: dict[str, TypeMapping] = {}
        self.tables: dict[str, Table] = {}
        self.entries: dict[str, Entry] = {}
        self.bookings: dict[str, Booking] = {}

    def new_id(self) -> str:
        """A UUID4-shaped id; the sequence depends only on the seed."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    @staticmethod
    def add(collection: dict[str, R], record: R) -> R:
        """Insert ``record`` under its id and return it."""
        collection[record.id] = record
        return record

    @staticmethod
    def owned(collection: Mapping[str, R], record_id: str, organization_id: str) -> R | None:
        """The record with that id if it belongs to the organization."""
        record = collection.get(record_id)
        if record is None or record.organization_id != organization_id:
            return None
        return record

    @classmethod
    def referenced(
        cls, collection: Mapping[str, R], record_id: str, organization_id: str, field: str
    ) -> R:
        """The organization's record a request field names; 400 ``unknown <field>`` if none."""
        record = cls.owned(collection, record_id, organization_id)
        if record is None:
            raise validation(f"unknown {field}")
        return record

    @staticmethod
    def of_org(records: Iterable[R], organization_id: str) -> Iterator[R]:
        """Records of one organization, in insertion order."""
        return (r for r in records if r.organization_id == organization_id)

    def resource_ids_in(self, calendar_id: str) -> set[str]:
        """Ids of the resources mapped to the calendar."""
        return {
            m.resource_id for m in self.calendar_mappings.values() if m.calendar_id == calendar_id
        }

    def resources_for(self, calendar_id: str, appointment_type_id: str) -> list[Resource]:
        """Resources mapped both to the calendar and to the appointment type."""
        in_calendar = self.resource_ids_in(calendar_id)
        for_type = {
            m.resource_id
            for m in self.type_mappings.values()
            if m.appointment_type_id == appointment_type_id
        }
        return [r for r in self.resources.values() if r.id in in_calendar & for_type]

    def windows_for(
        self, calendar_id: str, appointment_type_id: str, resource_ids: Iterable[str]
    ) -> list[ResourceSlot]:
        """Weekly windows in the calendar, of those resources, that offer the type."""
        wanted = set(resource_ids)
        return [
            w
            for w in self.resource_slots.values()
            if w.calendar_id == calendar_id
            and w.resource_id in wanted
            and appointment_type_id in w.appointment_type_ids
        ]

    def blockers_in(self, calendar_id: str) -> list[Blocker]:
        """All blockers of one calendar."""
        return [b for b in self.blockers.values() if b.calendar_id == calendar_id]
