"""Decode only: wire dict -> model, our converter against a bare cattrs Converter.

"Ours" is ``rocketlead_async._convert.structure`` (strict scalar hooks, kept extras, the fast
``detailed_validation=False`` path). "Bare" is what anyone would write with cattrs alone: a
``Converter(detailed_validation=False)`` on the same attrs classes with the same camelCase
renames (``make_dict_structure_fn`` + ``override(rename=...)``), a plain
``datetime.fromisoformat`` hook and nothing else, except a pass-through hook for the
``SpecialType | str | None`` union, which bare cattrs refuses to structure at all. Bare keeps no
extras and checks no types, so it is the floor for decoding into these classes.

Inputs are parsed once (orjson); the timings are structuring alone, interleaved in blocks.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

import attrs
import cattrs
import orjson
from _payloads import availability_json, booking_json
from _stats import Variant, interleave, ratio
from cattrs.gen import make_dict_structure_fn, override

from rocketlead_async import models as m
from rocketlead_async._convert import _SPECIAL_TYPE_FIELD, structure, wire_name

__all__ = ["bare_converter", "bare_structure", "run"]

_CLASSES = (m.FieldValidation, m.TableSchemaField, m.Booking, m.Slot, m.AvailabilityMeta)


def _fromisoformat(value: Any, _: Any) -> datetime:
    return datetime.fromisoformat(value)


@functools.cache
def bare_converter() -> cattrs.Converter:
    """The bare cattrs baseline (see the module docstring)."""
    converter = cattrs.Converter(detailed_validation=False)
    converter.register_structure_hook(datetime, _fromisoformat)
    converter.register_structure_hook_func(
        lambda t: t == _SPECIAL_TYPE_FIELD, lambda value, _: value
    )
    for cls in (*_CLASSES, m.Availability):
        renames = {
            a.name: override(rename=wire_name(cls, a.name))
            for a in attrs.fields(cls)
            if a.name != "extra"
        }
        hook = make_dict_structure_fn(cls, converter, extra=override(omit=True), **renames)
        converter.register_structure_hook(cls, hook)
    return converter


def bare_structure(data: Any, cls: type[Any]) -> Any:
    """Structure with the bare converter's cached hook (no dispatch per call)."""
    return _bare_hook(cls)(data, cls)


@functools.cache
def _bare_hook(cls: type[Any]) -> Any:
    return bare_converter().get_structure_hook(cls)


def _timer(fn: Callable[[Any, type[Any]], Any], data: Any, cls: type[Any]) -> Variant:
    clock = time.perf_counter

    def run_block(count: int) -> list[float]:
        started = clock()
        for _ in range(count):
            fn(data, cls)
        # One clock read per block: each item is credited the block's mean.
        return [(clock() - started) / count] * count

    return run_block


def run(*, quick: bool) -> dict[str, Any]:
    """µs per decoded booking and per 48-slot availability, ours vs bare."""
    cases = {
        "booking": (orjson.loads(orjson.dumps(booking_json())), m.Booking, 200),
        "availability_48": (orjson.loads(orjson.dumps(availability_json())), m.Availability, 10),
    }
    rounds = 60 if quick else 300
    results: dict[str, Any] = {}
    for name, (data, cls, per_block) in cases.items():
        if structure(data, cls) != bare_structure(data, cls):
            raise AssertionError(f"ours and bare decode {name} differently")
        measured = interleave(
            {"ours": _timer(structure, data, cls), "bare": _timer(bare_structure, data, cls)},
            rounds=rounds,
            per_block=per_block,
        )
        ours_us = measured["ours"]["latency_us"]
        bare_us = measured["bare"]["latency_us"]
        results[name] = {
            "ours_us": ours_us,
            "bare_us": bare_us,
            "ratio": ratio(ours_us["median"], bare_us["median"]),
            "ratio_p95": ratio(ours_us["p95"], bare_us["p95"]),
            "items_per_block": per_block,
            "blocks": rounds,
        }
    return results
