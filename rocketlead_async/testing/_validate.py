"""Request-input checks shared by the handlers; each failure is a 400 ``Validation failed``."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ._errors import validation
from ._time import parse_ts

JsonObject = dict[str, Any]


def json_object(raw: bytes) -> JsonObject:
    """Decode a request body that must be a JSON object."""
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise validation("body must be a JSON object")
    return body


def required_str(source: Mapping[str, Any], field: str) -> str:
    """A non-empty string field that must be present."""
    value = source.get(field)
    if value is None or value == "":
        raise validation(f"{field} is required")
    if not isinstance(value, str):
        raise validation(f"{field} must be a string")
    return value


def optional_str(source: Mapping[str, Any], field: str) -> str | None:
    """A string field that may be absent or null."""
    if source.get(field) is None:
        return None
    return required_str(source, field)


def timestamp(text: str, field: str) -> datetime:
    """Parse a timestamp field, refusing naive or malformed values."""
    try:
        return parse_ts(text)
    except ValueError:
        raise validation(f"{field} must be an ISO-8601 timestamp with offset") from None


def required_timestamp(source: Mapping[str, Any], field: str) -> datetime:
    """A timestamp field that must be present."""
    return timestamp(required_str(source, field), field)


def json_object_field(
    source: Mapping[str, Any], field: str, *, required: bool
) -> JsonObject | None:
    """A field whose value must be a JSON object (``None`` when optional and absent)."""
    value = source.get(field)
    if value is None:
        if required:
            raise validation(f"{field} is required")
        return None
    if not isinstance(value, dict):
        raise validation(f"{field} must be an object")
    return value


def query_bool(query: Mapping[str, str], field: str) -> bool:
    """``true``/``false`` query flag, false when absent."""
    value = query.get(field, "false")
    if value not in ("true", "false"):
        raise validation(f"{field} must be true or false")
    return value == "true"


def query_positive_int(query: Mapping[str, str], field: str) -> int | None:
    """Optional positive whole number in the query string."""
    value = query.get(field)
    if value is None:
        return None
    if not value.isdigit() or int(value) <= 0:
        raise validation(f"{field} must be a positive integer")
    return int(value)
