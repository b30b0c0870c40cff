"""The converter: every model nested at any depth keeps its unknown fields (through decoding
and encoding), and the fused structure functions decide exactly as cattrs' hook chain does."""

from __future__ import annotations

import collections.abc
import types
import typing
from typing import Any

import attrs
import pytest

import rocketlead_async as rl
from rocketlead_async._convert import (
    _PASS_THROUGH,
    RESPONSE_MODELS,
    _response_structure_hook,
    get_converter,
    structure,
    unstructure,
    wire_name,
)
from tests.helpers.models import MODEL_IDS


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
    assert booking.table_schema_fields is not None
    assert booking.table_schema_fields["k"].validation is not None


# -- the fused structure functions decide exactly as cattrs' hook chain does -------------------

_PALETTE: list[Any] = [
    None,
    "s",
    "",
    "email",
    "2026-03-02T09:00:00",
    "2026-03-02T09:00:00Z",
    "not a time",
    0,
    7,
    2.0,
    2.5,
    True,
    False,
    [],
    ["x"],
    {},
    {"friendlyName": "f", "type": "t"},
    {"startDateTime": "2026-03-02T09:00:00Z"},
]


def _outcome(hook: Any, data: Any, cls: type[Any]) -> tuple[str, str]:
    try:
        obj = hook(data, cls)
    except Exception as error:
        return ("error", type(error).__name__)
    # repr, not ==: 1 == 1.0 == True, but an int field must not come out as a bool.
    return ("ok", repr(obj))


def _variants(wire: dict[str, Any]) -> list[Any]:
    variants: list[Any] = [wire, [], "x", None, 3, types.MappingProxyType(wire)]
    for key in wire:
        variants.append({k: v for k, v in wire.items() if k != key})
        variants += [{**wire, key: value} for value in _PALETTE]
    return variants


@pytest.mark.parametrize("cls", RESPONSE_MODELS, ids=MODEL_IDS)
def test_fused_hooks_accept_refuse_and_produce_what_the_cattrs_hooks_do(cls: type[Any]) -> None:
    converter = get_converter()
    fused = converter.get_structure_hook(cls)
    chain = _response_structure_hook(converter, cls, detailed=False)
    assert fused.__name__ == f"structure_{cls.__name__}"

    seen = set()
    for data in _variants(_wire(cls)):
        ours, theirs = _outcome(fused, data, cls), _outcome(chain, data, cls)
        # Which exception does not matter (a failure is explained by the detailed twin).
        assert ours[0] == theirs[0], (data, ours, theirs)
        if ours[0] == "ok":
            assert ours == theirs, data
        seen.add(ours[0])
    assert seen == {"ok", "error"}


def test_pass_through_hooks_return_exactly_typed_values_unchanged() -> None:
    converter = get_converter()
    samples = {str: "s", int: 7, float: 2.5, bool: False}
    for tp, exact in _PASS_THROUGH.items():
        value = samples[exact]
        assert converter.get_structure_hook(tp)(value, tp) is value, tp
