"""Pieces every model module shares: the id type, the empty-extras default, the attrs validators
(each a check of :mod:`rocketlead_async._validate`).

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

from .._validate import (
    check_aware,
    check_id,
    check_json_mapping,
    check_optional_id,
    check_optional_json_mapping,
    check_optional_str,
    validator,
)

__all__ = [
    "EMPTY_EXTRA",
    "Id",
    "aware_datetime",
    "compact_repr",
    "extra_field",
    "json_mapping",
    "non_empty_id",
    "optional_id",
    "optional_json_mapping",
    "optional_str",
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


aware_datetime = validator(check_aware, qualified=False)
"""attrs validator: a timezone-aware ``datetime``."""

non_empty_id = validator(check_id, qualified=False)
"""attrs validator: an id (the one id rule, :func:`rocketlead_async._validate.check_id`)."""

optional_id = validator(check_optional_id, qualified=False)
"""attrs validator: ``None`` or an id."""

optional_str = validator(check_optional_str, qualified=False)
"""attrs validator: ``None`` or a ``str``."""

json_mapping = validator(check_json_mapping, qualified=False)
"""attrs validator: a ``str``-keyed mapping of JSON values (no NaN, no naive datetimes)."""

optional_json_mapping = validator(check_optional_json_mapping, qualified=False)
"""attrs validator: ``None`` or :data:`json_mapping`."""
