"""Lead entries (``table_entries``): create and merge-patch."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import attrs

from ._base import (
    Id,
    compact_repr,
    extra_field,
    json_mapping,
    non_empty_id,
    optional_id,
    optional_json_mapping,
)

__all__ = ["LeadEntry", "LeadRequest"]


@attrs.frozen
class LeadRequest:
    """The body of a lead POST. Not idempotent: RocketLead has no dedup, so one call is one lead.

    ``lead_state_id`` is required; use the table's default state (:attr:`Table.default_lead_state`)
    for a new lead. ``data`` and ``custom_field_data`` must be JSON: ``NaN``/``±Infinity`` and
    naive datetimes are refused here (aware datetimes are sent as ISO-8601).
    """

    table_id: str = attrs.field(validator=non_empty_id)
    data: Mapping[str, Any] = attrs.field(validator=json_mapping, hash=False)
    lead_state_id: str = attrs.field(validator=non_empty_id)
    custom_field_data: Mapping[str, Any] | None = attrs.field(
        default=None, validator=optional_json_mapping, hash=False
    )
    interested_in_appointment_type_id: str | None = attrs.field(default=None, validator=optional_id)

    def __repr__(self) -> str:
        # ``data`` is the caller's name, phone, e-mail: never in a repr.
        return compact_repr(
            self, ("table_id", "lead_state_id", "interested_in_appointment_type_id")
        )


@attrs.frozen
class LeadEntry:
    """A lead entry as RocketLead returns it."""

    id: Id
    table_id: Id
    organization_id: Id
    archived: bool
    created_at: datetime
    updated_at: datetime
    data: Mapping[str, Any] = attrs.field(hash=False)
    lead_state_id: Id | None = None
    custom_field_data: Mapping[str, Any] | None = attrs.field(default=None, hash=False)
    interested_in_appointment_type_id: Id | None = None
    extra: Mapping[str, Any] = extra_field()

    def __repr__(self) -> str:
        return compact_repr(
            self, ("id", "table_id", "lead_state_id", "archived", "created_at", "updated_at")
        )
