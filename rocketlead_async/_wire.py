"""The public wire form of the models: ``to_dict``, ``to_json`` and their inverse ``from_dict``.

The wire form is what the API sends and takes: camelCase keys (``start``/``end`` as
``startDateTime``/``endDateTime``, ``Availability.slots`` as ``data``), ISO-8601 timestamps with
their offset, unknown response fields (``extra``) merged back in, a request's ``None`` fields
left out. ``from_dict(type(m), to_dict(m)) == m`` for every model.
"""

from __future__ import annotations

import typing
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs

from . import _json
from ._convert import (
    get_converter,
    is_request_model,
    is_response_model,
    structure,
    unstructure,
    wire_name,
)

__all__ = ["from_dict", "to_dict", "to_json"]

T = TypeVar("T")


def _check_model(cls: type[Any]) -> None:
    if not (is_response_model(cls) or is_request_model(cls)):
        raise TypeError(f"{getattr(cls, '__name__', cls)!r} is not a rocketlead_async model")


def to_dict(model: Any) -> dict[str, Any]:
    """``model`` as the API's JSON object (a new ``dict`` of JSON types)."""
    _check_model(type(model))
    data: dict[str, Any] = unstructure(model)
    return data


def to_json(model: Any) -> str:
    """``model`` as compact JSON text, as :func:`to_dict` gives it."""
    return _json.dumps(to_dict(model)).decode()


def from_dict(cls: type[T], data: Mapping[str, Any]) -> T:
    """A ``cls`` from its wire form (the inverse of :func:`to_dict`).

    Response models keep unknown keys in ``extra``; request models validate as their
    constructor does. A value of the wrong type is a ``ValueError`` naming the field.
    """
    _check_model(cls)
    if not isinstance(data, Mapping):
        raise TypeError(f"data must be a mapping, not {type(data).__name__}")
    if is_request_model(cls):
        build = _BUILDERS.get(cls) or _BUILDERS.setdefault(cls, _request_builder(cls))
        built: T = build(data)
        return built
    return structure(dict(data), cls)


_BUILDERS: dict[Any, Callable[[Mapping[str, Any]], Any]] = {}


def _request_builder(cls: Any) -> Callable[[Mapping[str, Any]], Any]:
    # The converter only encodes requests (the SDK never reads one back): decode each known
    # key with the converter's strict field hooks, then let the constructor validate.
    converter = get_converter()
    hints = typing.get_type_hints(cls)
    fields = [(a.name, wire_name(cls, a.name), hints[a.name]) for a in attrs.fields(cls)]

    def build(data: Mapping[str, Any]) -> Any:
        kwargs = {}
        for name, key, hint in fields:
            if key in data:
                try:
                    kwargs[name] = converter.structure(data[key], hint)
                except Exception as error:
                    raise ValueError(f"{cls.__name__}.{name} ({key!r}): {error}") from None
        return cls(**kwargs)

    return build
