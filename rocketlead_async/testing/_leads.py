"""Lead entries: create, merge-patch (RFC 7396), and the schema summary bookings embed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from attrs import evolve

from ._errors import not_found, validation
from ._events import ENTRY_ADDED, LEAD_STATE_CHANGED, EventLog
from ._records import DataField, Entry, JsonObject, Table
from ._state import Store
from ._time import format_ts
from ._validate import json_object_field, optional_str, required_str

PATCHABLE = frozenset(
    {"data", "leadStateId", "archived", "customFieldData", "interestedInAppointmentTypeId"}
)


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396: objects merge recursively, ``null`` deletes a key, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def _data_of(entry: Entry) -> Mapping[str, Any]:
    return entry.data


def _custom_of(entry: Entry) -> Mapping[str, Any]:
    return entry.custom_field_data or {}


def schema_fields(store: Store, table: Table, entry: Entry) -> JsonObject:
    """``tableSchemaFields`` for a booking linked to ``entry``: keyed by field id.

    The table's known data fields, the entry's other data keys (as plain text fields), then the
    table's custom fields; ``frequency`` and ``lastSeen`` come from the table's entries.
    """
    known = {f.key for f in table.data_fields}
    described: list[tuple[DataField, Callable[[Entry], Mapping[str, Any]]]] = [
        *((f, _data_of) for f in table.data_fields),
        *((DataField(k, k, "text"), _data_of) for k in entry.data if k not in known),
        *((DataField(c.id, c.name, c.type), _custom_of) for c in table.custom_fields),
    ]
    siblings = [e for e in store.entries.values() if e.table_id == table.id]
    fields: JsonObject = {}
    for field, values in described:
        seen = [e.updated_at for e in siblings if field.key in values(e)]
        spec: JsonObject = {"friendlyName": field.friendly_name, "type": field.type}
        if field.special_type is not None:
            spec["specialType"] = field.special_type
        spec.update(
            hidden=False,
            validation={"required": field.required},
            frequency=len(seen),
            lastSeen=format_ts(max(seen, default=entry.updated_at)),
            isDeprecated=False,
        )
        fields[field.key] = spec
    return fields


class Leads:
    """Lead-entry operations for one store, event log and clock."""

    def __init__(self, store: Store, events: EventLog, now: Callable[[], datetime]) -> None:
        self._store = store
        self._events = events
        self._now = now

    def create(self, organization_id: str, body: JsonObject) -> Entry:
        """Validate and store a new entry (no dedup: the API has none)."""
        table_id = required_str(body, "tableId")
        table = self._store.referenced(self._store.tables, table_id, organization_id, "tableId")
        now = self._now()
        entry = Entry(
            id=self._store.new_id(),
            organization_id=organization_id,
            table_id=table.id,
            created_at=now,
            updated_at=now,
            **self._fields(table, body),
        )
        self._store.add(self._store.entries, entry)
        self._events.fire(ENTRY_ADDED, entry.id)
        self._events.fire(LEAD_STATE_CHANGED, entry.id)
        return entry

    def patch(self, organization_id: str, entry_id: str, patch: JsonObject) -> Entry:
        """Apply a merge patch to the entry's JSON; only ``PATCHABLE`` keys may appear."""
        entry = self._store.owned(self._store.entries, entry_id, organization_id)
        if entry is None:
            raise not_found("Table entry")
        frozen_keys = sorted(set(patch) - PATCHABLE)
        if frozen_keys:
            raise validation(f"{frozen_keys[0]} cannot be patched")
        table = self._store.tables[entry.table_id]
        merged = merge_patch(entry.to_json(), patch)
        updated = evolve(entry, updated_at=self._now(), **self._fields(table, merged))
        self._store.entries[entry.id] = updated
        if updated.lead_state_id != entry.lead_state_id:
            self._events.fire(LEAD_STATE_CHANGED, entry.id)
        return updated

    def _fields(self, table: Table, doc: JsonObject) -> dict[str, Any]:
        """The editable fields of an entry, validated from its camelCase JSON."""
        data = json_object_field(doc, "data", required=True)
        state_id = required_str(doc, "leadStateId")
        if table.lead_state(state_id) is None:
            raise validation("unknown leadStateId")
        archived = doc.get("archived", False)
        if not isinstance(archived, bool):
            raise validation("archived must be a boolean")
        custom = json_object_field(doc, "customFieldData", required=False)
        known = {f.id for f in table.custom_fields}
        for key in custom or {}:
            if key not in known:
                raise validation(f"unknown custom field {key}")
        interested = optional_str(doc, "interestedInAppointmentTypeId")
        types, org = self._store.appointment_types, table.organization_id
        if interested is not None:
            self._store.referenced(types, interested, org, "interestedInAppointmentTypeId")
        return {
            "data": data,
            "lead_state_id": state_id,
            "archived": archived,
            "custom_field_data": custom,
            "interested_in_appointment_type_id": interested,
        }
