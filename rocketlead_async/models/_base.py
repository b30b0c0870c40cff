"""Pieces every model module shares: the id type, the empty-extras default, input validators.

Models are frozen attrs classes. They pickle and deep-copy, and they hash: the hash covers the
scalar fields only. Container fields (``extra``, lists such as ``Availability.slots``, mappings
such as ``LeadEntry.data``) take part in ``==`` but not in ``hash()``,
so a model stays hashable whatever it holds, and equal models always hash equal.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any, NewType

import attrs

__all__ = [
    "EMPTY_EXTRA",
    "Id",
    "aware_datetime",
    "check_aware",
    "compact_repr",
    "extra_field",
    "non_empty_id",
    "optional_id",
]

Id = NewType("Id", str)
"""An object id as RocketLead returns it: an opaque string (a numeric id on the wire is read as
its decimal string)."""


class _EmptyMapping(Mapping[str, Any]):
    """The one read-only empty mapping every model without extras shares.

    Unlike ``MappingProxyType({})`` it pickles and copies (as itself) and hashes.
    """

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "{}"

    def __reduce__(self) -> str:
        return "EMPTY_EXTRA"  # pickle and copy by reference to the module-level singleton


EMPTY_EXTRA: Mapping[str, Any] = _EmptyMapping()


def extra_field() -> Any:
    """The ``extra`` attribute of a response model: fields the API docs do not name, as sent.

    Compared by ``==``, left out of ``hash()``."""
    return attrs.field(default=EMPTY_EXTRA, kw_only=True, hash=False)


def compact_repr(obj: object, names: tuple[str, ...]) -> str:
    """``Class(name=value, ...)`` for the given fields, ``None`` ones left out: reprs of models
    that carry callers' personal data show ids and times only."""
    parts = []
    for name in names:
        value = getattr(obj, name)
        if value is not None:
            shown = value.isoformat() if isinstance(value, datetime) else repr(value)
            parts.append(f"{name}={shown}")
    return f"{type(obj).__name__}({', '.join(parts)})"


def aware_datetime(_instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    """attrs validator: a timezone-aware ``datetime``."""
    check_aware(attribute.name, value)


def check_aware(name: str, value: object) -> None:
    """``TypeError``/``ValueError`` naming ``name`` unless ``value`` is an aware ``datetime``."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} must be a timezone-aware datetime (got naive {value.isoformat()}); "
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
