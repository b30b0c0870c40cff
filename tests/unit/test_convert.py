"""The converter's construction: nested models keep their extras, whatever the build order."""

from __future__ import annotations

import collections.abc
import types
import typing
from typing import Any

import attrs
import pytest

import rocketlead_async as rl
from rocketlead_async._convert import RESPONSE_MODELS, structure, unstructure, wire_name

MODEL_IDS = [cls.__name__ for cls in RESPONSE_MODELS]


def _unknown_key(cls: type[Any]) -> str:
    return f"newIn{cls.__name__}"


def _nests_a_model(tp: Any) -> bool:
    if isinstance(tp, type) and attrs.has(tp):
        return True
    return any(_nests_a_model(arg) for arg in typing.get_args(tp))


def _wire_value(tp: Any) -> Any:
    """A wire value of type ``tp`` that survives a round trip unchanged; models nest fully."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        nesting = [arg for arg in args if _nests_a_model(arg)]
        return _wire_value(nesting[0]) if nesting else None
    if origin is list:
        return [_wire_value(args[0])]
    if origin is collections.abc.Mapping:
        return {"k": _wire_value(args[1])} if _nests_a_model(args[1]) else {}
    if isinstance(tp, type) and attrs.has(tp):
        return _wire(tp)
    samples = {rl.Id: "id_1", str: "s", bool: True, int: 3, float: 1.5}
    if tp in samples:
        return samples[tp]
    if tp is rl.SpecialType:
        return "email"
    if tp.__name__ == "datetime":
        return "2026-03-02T09:00:00+01:00"
    raise TypeError(f"no wire sample for {tp!r}: extend _wire_value for the new field type")


def _wire(cls: type[Any]) -> dict[str, Any]:
    """Every field of ``cls`` (nested models filled in) plus one field this SDK does not know."""
    hints = typing.get_type_hints(cls)
    wire = {
        wire_name(cls, a.name): _wire_value(hints[a.name])
        for a in attrs.fields(cls)
        if a.name != "extra"
    }
    wire[_unknown_key(cls)] = [cls.__name__]
    return wire


def _extras(obj: Any) -> list[tuple[str, Any]]:
    """(model name, extra) of ``obj`` and of every model nested in it."""
    found = [(type(obj).__name__, dict(obj.extra))]
    for a in attrs.fields(type(obj)):
        value = getattr(obj, a.name)
        if isinstance(value, collections.abc.Mapping):
            children = list(value.values())
        else:
            children = value if isinstance(value, list) else [value]
        for child in children:
            if attrs.has(type(child)):
                found += _extras(child)
    return found


@pytest.mark.parametrize("cls", RESPONSE_MODELS, ids=MODEL_IDS)
def test_every_nested_model_keeps_its_unknown_fields(cls: type[Any]) -> None:
    # Hand-written wire, not unstructure() output: a model structured and unstructured by hooks
    # that both ignore `extra` would round-trip equal and hide the loss.
    wire = _wire(cls)

    decoded = structure(wire, cls)

    for name, extra in _extras(decoded):
        assert extra == {f"newIn{name}": [name]}, name
    assert unstructure(decoded) == wire


def test_the_nesting_models_are_covered() -> None:
    nested = {name for cls in RESPONSE_MODELS for name, _ in _extras(structure(_wire(cls), cls))}
    assert {"FieldValidation", "TableSchemaField", "Slot", "AvailabilityMeta"} <= nested
    booking = structure(_wire(rl.Booking), rl.Booking)
    assert booking.table_schema_fields["k"].validation is not None
