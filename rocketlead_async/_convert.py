"""The one cattrs converter: camelCase wire <-> snake_case models, strict types, kept extras.

Decoding runs a fast converter; only when that fails is the body decoded again by a detailed twin
(cattrs' ``detailed_validation``), to name the offending field. Both are made by :func:`_build`,
so they cannot drift apart. The fast one decodes response models with fused functions
(``_fused.py``) that defer to the same strict hooks for anything but an exactly-typed value.

Nothing is built at import (cattrs is not even imported): each converter on first use, and each
model's hooks when that model is first decoded or encoded, through hook factories (so no
registration order can hand a model an inner model's default, extra-dropping hook).
"""

from __future__ import annotations

import functools
import sys
import types
import typing
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, TypeVar, Union

import attrs

from . import models as m
from ._fused import fused_structure_fn
from .models._base import Id

if TYPE_CHECKING:
    import cattrs

__all__ = [
    "REQUEST_MODELS",
    "RESPONSE_MODELS",
    "ResponseShapeError",
    "decoder",
    "get_converter",
    "is_request_model",
    "is_response_model",
    "structure",
    "structure_list",
    "unstructure",
    "wire_name",
]

T = TypeVar("T")

# The models the converter handles, by (module, name) so that none has to be imported for the
# converter to recognise it (the lookup and lead models load on first use); the tuples of
# classes are module attributes made on first access (PEP 562).
_RESPONSE_NAMES = (
    ("availability", "Slot"),
    ("availability", "AvailabilityMeta"),
    ("availability", "Availability"),
    ("bookings", "FieldValidation"),
    ("bookings", "TableSchemaField"),
    ("bookings", "Booking"),
    ("lookups", "Calendar"),
    ("lookups", "Resource"),
    ("lookups", "AppointmentType"),
    ("lookups", "ResourceSlot"),
    ("lookups", "ResourceSlotBlocker"),
    ("lookups", "ResourceCalendarMapping"),
    ("lookups", "AppointmentTypeResourceMapping"),
    ("lookups", "LeadState"),
    ("lookups", "Table"),
    ("leads", "LeadEntry"),
)
_REQUEST_NAMES = (("bookings", "BookingRequest"), ("leads", "LeadRequest"))
_RESPONSE_SET = frozenset((f"{m.__name__}.{module}", name) for module, name in _RESPONSE_NAMES)
_REQUEST_SET = frozenset((f"{m.__name__}.{module}", name) for module, name in _REQUEST_NAMES)


def __getattr__(name: str) -> Any:
    if name in ("RESPONSE_MODELS", "REQUEST_MODELS"):
        names = _RESPONSE_NAMES if name == "RESPONSE_MODELS" else _REQUEST_NAMES
        models = tuple(getattr(m, model) for _, model in names)
        globals()[name] = models
        return models
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    RESPONSE_MODELS: tuple[type[Any], ...]
    REQUEST_MODELS: tuple[type[Any], ...]

# The design's one exception to mechanical camelCase, and availability's wrapped list.
_SPECIAL_NAMES = {"start": "startDateTime", "end": "endDateTime"}
_CLASS_NAMES: dict[type[Any], dict[str, str]] = {m.Availability: {"slots": "data"}}

_ANY_MAPPING = Mapping[str, Any]
_SPECIAL_TYPE_FIELD = Union[m.SpecialType, str, None]  # noqa: UP007 - a runtime type key


class ResponseShapeError(ValueError):
    """A response body does not match its model; the message names the field."""


def wire_name(cls: type[Any], attribute: str) -> str:
    """The JSON key of ``cls.attribute`` on the wire."""
    special = _CLASS_NAMES.get(cls, {}).get(attribute) or _SPECIAL_NAMES.get(attribute)
    if special:
        return special
    head, *rest = attribute.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


# -- strict scalar hooks: a wrong-typed known field is an error, never a silent str(...) --------


def _wrong(expected: str, value: object) -> TypeError:
    return TypeError(f"expected {expected}, got {type(value).__name__}")


def _structure_str(value: object, _: object) -> str:
    if type(value) is str:
        return value
    raise _wrong("a string", value)


def _structure_id(value: object, _: object) -> Id:
    if type(value) is str:
        return Id(value)
    if type(value) is int:
        return Id(str(value))
    raise _wrong("an id (string)", value)


def _structure_int(value: object, _: object) -> int:
    if type(value) is int:
        return value
    if type(value) is float and value.is_integer():
        return int(value)
    raise _wrong("an integer", value)


def _structure_float(value: object, _: object) -> float:
    if type(value) is float or type(value) is int:
        return value
    raise _wrong("a number", value)


def _structure_bool(value: object, _: object) -> bool:
    if type(value) is bool:
        return value
    raise _wrong("a boolean", value)


def _structure_any_mapping(value: object, _: object) -> Mapping[str, Any]:
    if type(value) is dict:
        return value
    raise _wrong("an object", value)


# SpecialType(value) costs half a microsecond (Enum.__call__); six per booking.
_SPECIAL_TYPES: dict[str, m.SpecialType] = {member.value: member for member in m.SpecialType}


def _structure_special_type(value: object, _: object) -> m.SpecialType | str | None:
    if value is None:
        return None
    if type(value) is not str:
        raise _wrong("a string", value)
    return _SPECIAL_TYPES.get(value, value)


if sys.version_info >= (3, 11):
    _fromisoformat = datetime.fromisoformat
else:  # pragma: no cover - Python 3.10 does not read a trailing "Z"

    def _fromisoformat(text: str) -> datetime:
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"
        return datetime.fromisoformat(text)


def _structure_datetime(value: object, _: object) -> datetime:
    if type(value) is not str:
        raise _wrong("an ISO-8601 timestamp string", value)
    try:
        parsed = _fromisoformat(value)
    except ValueError:
        raise ValueError(f"not an ISO-8601 timestamp: {value[:40]!r}") from None
    # The API documents ISO-8601 without promising an offset; UTC is the only safe reading.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)


def _unstructure_datetime(value: datetime) -> str:
    return value.isoformat()


def _unstructure_special_type(value: m.SpecialType | str | None) -> str | None:
    return value.value if isinstance(value, m.SpecialType) else value


# -- model hooks ------------------------------------------------------------------------------


def _renames(cls: type[Any]) -> dict[str, Any]:
    from cattrs.gen import override

    return {
        a.name: override(rename=wire_name(cls, a.name))
        for a in attrs.fields(cls)
        if a.name != "extra"
    }


def _response_structure_hook(
    converter: cattrs.Converter, cls: Any, detailed: bool
) -> Callable[[Any, Any], Any]:
    from cattrs.gen import make_dict_structure_fn, override

    base = make_dict_structure_fn(
        cls,
        converter,
        _cattrs_forbid_extra_keys=False,
        _cattrs_detailed_validation=detailed,
        extra=override(omit=True),
        **_renames(cls),
    )
    known = frozenset(wire_name(cls, a.name) for a in attrs.fields(cls) if a.name != "extra")
    is_known = known.issuperset

    def structure_model(data: Any, _: Any) -> Any:
        obj = base(data, cls)
        if not is_known(data):
            # Frozen attrs classes set fields this way themselves; extras are rare, so the
            # common path pays only the superset check above.
            object.__setattr__(obj, "extra", {k: data[k] for k in data if k not in known})
        return obj

    return structure_model


# The scalar hooks that return a value of exactly this Python type unchanged (a test holds them
# to it): the fused functions take such a value without calling the hook.
_PASS_THROUGH: dict[Any, type] = {str: str, Id: str, int: int, float: float, bool: bool}


def _fused_structure_hook(converter: cattrs.Converter, cls: Any) -> Callable[[Any, Any], Any]:
    generic: list[Callable[[Any, Any], Any]] = []

    def fallback(data: Any, cl: Any) -> Any:
        # Not a dict (json.loads always gives one): cattrs' own path decides, as before.
        if not generic:
            generic.append(_response_structure_hook(converter, cls, detailed=False))
        return generic[0](data, cl)

    return fused_structure_fn(
        cls,
        wire_name=wire_name,
        hook_for=converter.get_structure_hook,
        pass_through=_PASS_THROUGH,
        optional_inner=_optional_inner,
        fallback=fallback,
    )


def _response_unstructure_hook(
    converter: cattrs.Converter, cls: type[T]
) -> Callable[[T], dict[str, Any]]:
    from cattrs.gen import make_dict_unstructure_fn, override

    base = make_dict_unstructure_fn(cls, converter, extra=override(omit=True), **_renames(cls))

    def unstructure_model(obj: T) -> dict[str, Any]:
        data = base(obj)
        extra: Mapping[str, Any] = obj.extra  # type: ignore[attr-defined]
        if extra:
            data = {**extra, **data}
        return data

    return unstructure_model


def _request_unstructure_hook(
    converter: cattrs.Converter, cls: type[T]
) -> Callable[[T], dict[str, Any]]:
    from cattrs.gen import make_dict_unstructure_fn

    return make_dict_unstructure_fn(cls, converter, _cattrs_omit_if_default=True, **_renames(cls))


def _optional_inner(t: Any) -> Any:
    """``X`` for ``X | None``, else ``None``."""
    args = getattr(t, "__args__", ())
    if typing.get_origin(t) in (Union, types.UnionType) and len(args) == 2 and type(None) in args:
        return next(arg for arg in args if arg is not type(None))
    return None


def _optional_structure_hook(converter: cattrs.Converter, t: Any) -> Callable[[Any, Any], Any]:
    # cattrs' own Optional hook looks the inner hook up on every call; most response fields
    # are optional, so resolve it once (the inner model's hook comes from its factory).
    inner = _optional_inner(t)
    hook = converter.get_structure_hook(inner)

    def structure_optional(value: Any, _: Any) -> Any:
        return None if value is None else hook(value, inner)

    return structure_optional


def is_response_model(t: Any) -> bool:
    """Whether ``t`` is one of the SDK's response models (``RESPONSE_MODELS``)."""
    return isinstance(t, type) and (t.__module__, t.__qualname__) in _RESPONSE_SET


def is_request_model(t: Any) -> bool:
    """Whether ``t`` is one of the SDK's request models (``REQUEST_MODELS``)."""
    return isinstance(t, type) and (t.__module__, t.__qualname__) in _REQUEST_SET


def _build(detailed: bool) -> cattrs.Converter:
    import cattrs

    converter = cattrs.Converter(detailed_validation=detailed, forbid_extra_keys=False)
    converter.register_structure_hook_factory(
        lambda t: _optional_inner(t) is not None,
        lambda t: _optional_structure_hook(converter, t),
    )
    for scalar, hook in (
        (str, _structure_str),
        (int, _structure_int),
        (float, _structure_float),
        (bool, _structure_bool),
        (datetime, _structure_datetime),
    ):
        converter.register_structure_hook(scalar, hook)
    converter.register_structure_hook(Id, _structure_id)
    converter.register_structure_hook_func(lambda t: t == _ANY_MAPPING, _structure_any_mapping)
    converter.register_structure_hook_func(
        lambda t: t == _SPECIAL_TYPE_FIELD, _structure_special_type
    )
    converter.register_unstructure_hook(datetime, _unstructure_datetime)
    converter.register_unstructure_hook_func(
        lambda t: t == _SPECIAL_TYPE_FIELD, _unstructure_special_type
    )
    # Factories, not per-class registrations: a model's hook is made when it is first needed,
    # and a model that contains another asks the converter for that one's hook, so it always
    # gets the extras-keeping hook whatever order the models are listed in.
    if detailed:
        converter.register_structure_hook_factory(
            is_response_model, lambda cls: _response_structure_hook(converter, cls, True)
        )
    else:
        converter.register_structure_hook_factory(
            is_response_model, lambda cls: _fused_structure_hook(converter, cls)
        )
    converter.register_unstructure_hook_factory(
        is_response_model, lambda cls: _response_unstructure_hook(converter, cls)
    )
    converter.register_unstructure_hook_factory(
        is_request_model, lambda cls: _request_unstructure_hook(converter, cls)
    )
    return converter


@functools.lru_cache(maxsize=1)
def get_converter() -> cattrs.Converter:
    """The process-wide converter (fast path), built on first use."""
    return _build(detailed=False)


@functools.lru_cache(maxsize=1)
def _detailed_converter() -> cattrs.Converter:
    return _build(detailed=True)


def _explain(data: Any, cl: Any, error: Exception) -> ResponseShapeError:
    """Re-decode with the detailed converter to name the field the fast path tripped on."""
    import cattrs

    try:
        _detailed_converter().structure(data, cl)
    except Exception as detailed_error:
        details = "; ".join(cattrs.transform_error(detailed_error, path="$")[:3])
    else:  # pragma: no cover - the two converters share every hook
        details = f"{type(error).__name__}: {error}"
    name = getattr(cl, "__name__", str(cl))
    return ResponseShapeError(f"response does not match {name}: {details}")


def structure(data: Any, cls: type[T]) -> T:
    """Decode wire JSON into ``cls``; :class:`ResponseShapeError` names what did not fit."""
    decoded: T = decoder(cls)(data)
    return decoded


def structure_list(data: Any, cls: type[T]) -> list[T]:
    """Decode a list endpoint's answer: a bare JSON array, or ``{"data": [...]}``."""
    decoded: list[T] = decoder(cls, many=True)(data)
    return decoded


_DECODERS: dict[tuple[type[Any], bool], Callable[[Any], Any]] = {}


def decoder(cls: type[T], *, many: bool = False) -> Callable[[Any], Any]:
    """:func:`structure` (``many``: :func:`structure_list`) of ``cls`` as a function of the data
    alone, made once per model; the model's hook is built on its first call, not here. Its
    ``model`` and ``many`` attributes say what it decodes."""
    try:
        return _DECODERS[cls, many]
    except KeyError:
        made = _list_decoder(cls) if many else _decoder(cls)
        made.__dict__.update(model=cls, many=many)  # what it decodes, for introspection
        return _DECODERS.setdefault((cls, many), made)


def _decoder(cls: type[T]) -> Callable[[Any], T]:
    hook: Callable[[Any, Any], Any] | None = None

    def decode(data: Any) -> T:
        nonlocal hook
        if hook is None:
            hook = get_converter().get_structure_hook(cls)
        try:
            return hook(data, cls)  # type: ignore[no-any-return]
        except Exception as error:
            raise _explain(data, cls, error) from None

    return decode


def _list_decoder(cls: type[T]) -> Callable[[Any], list[T]]:
    hook: Callable[[Any, Any], Any] | None = None

    def decode_list(data: Any) -> list[T]:
        nonlocal hook
        if type(data) is dict and "data" in data:
            data = data["data"]
        if type(data) is not list:
            raise ResponseShapeError(
                f"expected a JSON array of {cls.__name__}, got {type(data).__name__}"
            )
        if hook is None:
            hook = get_converter().get_structure_hook(cls)
        try:
            return [hook(item, cls) for item in data]
        except Exception as error:
            raise _explain(data, list[cls], error) from None  # type: ignore[valid-type]

    return decode_list


_UNSTRUCTURE: dict[type[Any], Callable[[Any], Any]] = {}


def unstructure(obj: Any) -> Any:
    """Encode a model as wire JSON (requests omit ``None`` fields)."""
    cl = type(obj)
    try:
        hook = _UNSTRUCTURE[cl]
    except KeyError:
        hook = _UNSTRUCTURE.setdefault(cl, get_converter().get_unstructure_hook(cl))
    return hook(obj)
