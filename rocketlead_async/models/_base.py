"""Pieces every model module shares: the id type, the empty-extras default, input validators."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from types import MappingProxyType
from typing import Any, NewType

import attrs

__all__ = ["EMPTY_EXTRA", "Id", "aware_datetime", "extra_field", "non_empty_id", "optional_id"]

Id = NewType("Id", str)
"""An object id as RocketLead returns it: an opaque string (a numeric id on the wire is read as
its decimal string)."""

EMPTY_EXTRA: Mapping[str, Any] = MappingProxyType({})


def extra_field() -> Any:
    """The ``extra`` attribute of a response model: fields the API docs do not name, as sent."""
    return attrs.field(default=EMPTY_EXTRA, kw_only=True)


def aware_datetime(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a timezone-aware ``datetime``."""
    if not isinstance(value, datetime):
        raise TypeError(f"{attribute.name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{attribute.name} must be a timezone-aware datetime (got naive {value.isoformat()}); "
            "attach the calendar's zone, e.g. dt.replace(tzinfo=calendar.zoneinfo)"
        )


def non_empty_id(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a non-empty id string."""
    if not isinstance(value, str):
        raise TypeError(f"{attribute.name} must be a str, not {type(value).__name__}")
    if not value.strip():
        raise ValueError(f"{attribute.name} must not be empty")


def optional_id(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: ``None`` or a non-empty id string."""
    if value is not None:
        non_empty_id(instance, attribute, value)
