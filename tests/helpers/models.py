"""Hypothesis strategies for the SDK's models, built from the models' own type hints (a new
model or field is covered automatically, or the strategy says which type it lacks)."""

from __future__ import annotations

import collections.abc
import types
import typing
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

import rocketlead_async as rl
from rocketlead_async._convert import RESPONSE_MODELS, wire_name

MODEL_IDS = [cls.__name__ for cls in RESPONSE_MODELS]
HYPOTHESIS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])

offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
aware_datetimes = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2200, 1, 1),
    timezones=st.one_of(st.just(timezone.utc), offsets),
)
ids = st.one_of(
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=12),
    st.uuids().map(str),
)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**53), 2**53),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


def known_keys(cls: type[Any]) -> frozenset[str]:
    """The wire names of ``cls``'s fields (``extra`` holds every other key)."""
    return frozenset(wire_name(cls, a.name) for a in attrs.fields(cls) if a.name != "extra")


def extras_for(cls: type[Any]) -> st.SearchStrategy[dict[str, Any]]:
    known = known_keys(cls)
    return st.dictionaries(
        st.text(min_size=1, max_size=10).filter(lambda k: k not in known),
        json_values,
        max_size=3,
    )


def strategy_for(tp: Any) -> st.SearchStrategy[Any]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is rl.Id:
        return ids.map(rl.Id)
    if tp is type(None):
        return st.none()
    if tp is str:
        return st.text(max_size=20)
    if tp is bool:
        return st.booleans()
    if tp is int:
        return st.integers(-(2**53), 2**53)
    if tp is float:
        return st.floats(allow_nan=False, allow_infinity=False)
    if tp is datetime:
        return aware_datetimes
    if tp is rl.SpecialType:
        return st.sampled_from(rl.SpecialType)
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(strategy_for(arg) for arg in args))
    if origin is list:
        return st.lists(strategy_for(args[0]), max_size=3)
    if origin is collections.abc.Mapping:
        values = json_values if args[1] is Any else strategy_for(args[1])
        return st.dictionaries(st.text(max_size=8), values, max_size=3)
    if isinstance(tp, type) and attrs.has(tp):
        return models(tp)
    raise TypeError(f"no strategy for {tp!r}: extend strategy_for for the new field type")


def models(cls: type[Any], *, with_extra: bool = True) -> st.SearchStrategy[Any]:
    """Instances of the attrs model ``cls``, with unknown wire fields in ``extra`` unless
    ``with_extra`` is false."""
    hints = typing.get_type_hints(cls)
    required: dict[str, st.SearchStrategy[Any]] = {}
    optional: dict[str, st.SearchStrategy[Any]] = {}
    for field in attrs.fields(cls):
        if field.name == "extra":
            if with_extra:
                optional["extra"] = extras_for(cls)
            continue
        target = required if field.default is attrs.NOTHING else optional
        target[field.name] = strategy_for(hints[field.name])
    return st.fixed_dictionaries(required, optional=optional).map(lambda kw: cls(**kw))
