"""Every argument check of the SDK, in one place.

Each ``check_*`` function returns the value (normalised where said) or raises ``TypeError`` /
``ValueError`` naming the field; :func:`validator` turns one into an attrs validator that names
the field as ``Class.field``. Checks run before any I/O.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

import attrs

__all__ = [
    "check_aware",
    "check_fraction",
    "check_id",
    "check_instance",
    "check_int",
    "check_json",
    "check_json_mapping",
    "check_mapping",
    "check_number",
    "check_optional_aware",
    "check_optional_id",
    "check_optional_json_mapping",
    "check_optional_number",
    "check_optional_str",
    "check_timedelta",
    "check_timeout",
    "validator",
]

T = TypeVar("T")

# Characters that would let an id reach another path, or break a query.
_ID_FORBIDDEN = frozenset("/?#\\")


def _type_name(value: object) -> str:
    return type(value).__name__


def check_instance(value: object, cls: type[T], name: str) -> T:
    """``value`` if it is a ``cls``; ``TypeError`` naming ``name`` otherwise."""
    if not isinstance(value, cls):
        raise TypeError(f"{name} must be a {cls.__name__}, not {_type_name(value)}")
    return value


def check_number(
    value: object, name: str, *, minimum: float = 0.0, inclusive: bool = True
) -> float:
    """A finite real number (never a ``bool``) at or above ``minimum`` (above, if not
    ``inclusive``), as a ``float``; ``ValueError`` otherwise, a wrong type included. Ints too
    large for a float are refused, not overflowed."""
    bound = ">=" if inclusive else ">"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a finite number {bound} {minimum:g}, not {value!r:.40}")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number) or number < minimum or (not inclusive and number == minimum):
        raise ValueError(f"{name} must be a finite number {bound} {minimum:g}, not {value!r:.40}")
    return number


def check_optional_number(
    value: object, name: str, *, minimum: float = 0.0, inclusive: bool = True
) -> float | None:
    """``None`` or :func:`check_number`."""
    if value is None:
        return None
    return check_number(value, name, minimum=minimum, inclusive=inclusive)


def check_timeout(value: object, name: str = "timeout") -> float:
    """A time budget in seconds: a finite number > 0."""
    return check_number(value, name, inclusive=False)


def check_fraction(value: object, name: str) -> float:
    """A number between 0 and 1 inclusive."""
    number = check_number(value, name)
    if number > 1:
        raise ValueError(f"{name} must be between 0 and 1, not {value!r}")
    return number


def check_int(value: object, name: str, *, minimum: int = 1) -> int:
    """An ``int`` (never a ``bool``) at or above ``minimum``; ``ValueError`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, not {value!r:.40}")
    return value


def check_optional_str(value: object, name: str) -> str | None:
    """``None`` or a ``str``."""
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{name} must be a str or None, not {_type_name(value)}")
    return value


def check_id(value: object, name: str) -> str:
    """An object id: a non-empty printable string that cannot name another path.

    The one id rule, for request models, paths and query parameters alike: refused are empty
    or blank ids, control or other non-printable characters, ``/ ? # \\``, ``..`` and ids made
    only of dots (``"."`` is a dot-segment: ``/connect/calendar/.`` is the collection).
    """
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a str, not {_type_name(value)}")
    if not value.strip():
        raise ValueError(f"{name} must not be empty")
    if not value.isprintable():
        raise ValueError(f"{name} contains control or non-printable characters")
    if _ID_FORBIDDEN.intersection(value) or ".." in value or not value.strip("."):
        raise ValueError(
            f"{name} {value!r:.60} contains '/', '?', '#', '\\\\' or '..' (or only dots); "
            "not a valid id"
        )
    return value


def check_optional_id(value: object, name: str) -> str | None:
    """``None`` or :func:`check_id`."""
    return None if value is None else check_id(value, name)


def check_aware(value: object, name: str) -> datetime:
    """A timezone-aware ``datetime``."""
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, not {_type_name(value)}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{name} must be a timezone-aware datetime (got naive {value.isoformat()}); "
            "attach the calendar's zone, e.g. dt.replace(tzinfo=calendar.zoneinfo)"
        )
    return value


def check_optional_aware(value: object, name: str) -> datetime | None:
    """``None`` or :func:`check_aware`."""
    return None if value is None else check_aware(value, name)


def check_timedelta(value: object, name: str) -> timedelta:
    """A ``timedelta`` >= 0."""
    if not isinstance(value, timedelta):
        raise TypeError(f"{name} must be a timedelta, not {_type_name(value)}")
    if value < timedelta(0):
        raise ValueError(f"{name} must be a timedelta >= 0, not {value!r}")
    return value


def check_mapping(value: object, name: str) -> Mapping[str, Any]:
    """A mapping with ``str`` keys."""
    if not isinstance(value, Mapping):
        raise TypeError(f"{name} must be a mapping, not {_type_name(value)}")
    if not all(isinstance(key, str) for key in value):
        raise TypeError(f"{name} keys must be strings")
    return value


def check_json(value: object, name: str) -> object:
    """A value the API can take as JSON, checked all the way down, without recursion.

    Refused, naming the place (e.g. ``data['visit']['at']``): ``NaN``/``±Infinity`` (orjson
    would send ``null``, which a merge patch reads as "delete"; the stdlib would send the
    non-JSON literal ``NaN``), naive datetimes (sent without an offset they mean a different
    moment in every zone), non-``str`` keys and values JSON has no form for. Aware datetimes
    and dates are sent as ISO-8601 strings.
    """
    pending: list[tuple[object, str]] = [(value, name)]
    seen: set[int] = set()  # containers already walked: a cycle ends here (the encoder names it)
    while pending:
        item, where = pending.pop()
        if isinstance(item, (Mapping, list, tuple)):
            if id(item) in seen:
                continue
            seen.add(id(item))
        if item is None or isinstance(item, (str, bool, int)):
            continue
        if isinstance(item, float):
            if not math.isfinite(item):
                raise ValueError(f"{where} is {item!r}: JSON has no such number")
        elif isinstance(item, datetime):
            check_aware(item, where)
        elif isinstance(item, date):
            continue
        elif isinstance(item, Mapping):
            for key, inner in item.items():
                if not isinstance(key, str):
                    raise TypeError(f"{where} keys must be strings, not {_type_name(key)}")
                pending.append((inner, f"{where}[{key!r}]"))
        elif isinstance(item, (list, tuple)):
            pending.extend((inner, f"{where}[{index}]") for index, inner in enumerate(item))
        else:
            raise TypeError(f"{where} is a {_type_name(item)}, which JSON cannot carry")
    return value


def check_json_mapping(value: object, name: str) -> Mapping[str, Any]:
    """A ``str``-keyed mapping whose values pass :func:`check_json`."""
    check_json(check_mapping(value, name), name)
    return value  # type: ignore[return-value]


def check_optional_json_mapping(value: object, name: str) -> Mapping[str, Any] | None:
    """``None`` or :func:`check_json_mapping`."""
    return None if value is None else check_json_mapping(value, name)


def validator(
    check: Callable[..., object], *, qualified: bool = True, **options: Any
) -> Callable[[Any, Any, Any], None]:
    """``check`` (with keyword ``options``) as an attrs validator naming the field
    ``Class.field`` (``qualified``, for settings objects) or ``field`` (request models, whose
    fields users know by name)."""

    def validate(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
        name = f"{type(instance).__name__}.{attribute.name}" if qualified else attribute.name
        check(value, name, **options)

    validate.__name__ = validate.__qualname__ = check.__name__
    return validate
