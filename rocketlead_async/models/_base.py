"""Pieces every model module shares: the id type, the empty-extras default, the attrs validators
(each a check of :mod:`rocketlead_async._validate`)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
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

EMPTY_EXTRA: Mapping[str, Any] = MappingProxyType({})


def extra_field() -> Any:
    """The ``extra`` attribute of a response model: fields the API docs do not name, as sent."""
    return attrs.field(default=EMPTY_EXTRA, kw_only=True)


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
