"""Models and the converter: round trips, kept extras, strict types, aware datetimes."""

from __future__ import annotations

import collections.abc
import types
import typing
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest
from aioresponses import aioresponses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rocketlead_async as rl
from rocketlead_async import _json
from rocketlead_async._convert import (
    RESPONSE_MODELS,
    ResponseShapeError,
    structure,
    structure_list,
    unstructure,
    wire_name,
)

from ._support import END, START, booking_json, booking_request, slot_json, url

UTC = timezone.utc

# -- strategies built from the models' own type hints (a new model is covered automatically) --

offsets = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(lambda m: timezone(timedelta(minutes=m)))
aware_datetimes = st.datetimes(
    min_value=datetime(1970, 1, 2),
    max_value=datetime(2200, 1, 1),
    timezones=st.one_of(st.just(UTC), offsets),
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


MODEL_IDS = [cls.__name__ for cls in RESPONSE_MODELS]
HYPOTHESIS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_every_response_model_is_an_attrs_class_with_extra() -> None:
    assert len(RESPONSE_MODELS) >= 16
    for cls in RESPONSE_MODELS:
        assert "extra" in attrs.fields_dict(cls), cls


@pytest.mark.parametrize("cls", RESPONSE_MODELS, ids=MODEL_IDS)
@HYPOTHESIS
@given(data=st.data())
def test_round_trip_through_the_converter(cls: type[Any], data: st.DataObject) -> None:
    obj = data.draw(models(cls))
    wire = unstructure(obj)
    assert structure(wire, cls) == obj
    # ... and through real JSON bytes, as a response arrives.
    assert structure(_json.loads(_json.dumps(wire)), cls) == obj


@pytest.mark.parametrize("cls", RESPONSE_MODELS, ids=MODEL_IDS)
@HYPOTHESIS
@given(data=st.data())
def test_unknown_fields_survive_in_extra(cls: type[Any], data: st.DataObject) -> None:
    obj = data.draw(models(cls, with_extra=False))
    key = data.draw(st.text(min_size=1, max_size=16).filter(lambda k: k not in known_keys(cls)))
    value = data.draw(json_values)
    wire = {**unstructure(obj), key: value}

    decoded = structure(wire, cls)

    assert decoded.extra == {key: value}
    assert unstructure(decoded)[key] == value
    assert attrs.evolve(decoded, extra={}) == attrs.evolve(obj, extra={})


@pytest.mark.parametrize("cls", RESPONSE_MODELS, ids=MODEL_IDS)
def test_wire_names_are_camelcase(cls: type[Any]) -> None:
    for name in known_keys(cls):
        assert "_" not in name, (cls, name)


def test_datetime_fields_use_start_and_end_on_the_wire() -> None:
    assert wire_name(rl.Slot, "start") == "startDateTime"
    assert wire_name(rl.Booking, "end") == "endDateTime"
    assert wire_name(rl.Availability, "slots") == "data"
    assert wire_name(rl.Booking, "table_entry_id") == "tableEntryId"


# -- strict types -----------------------------------------------------------------------------

BAD_SHAPES: list[tuple[type[Any], dict[str, Any], str]] = [
    (rl.Slot, slot_json(available="yes"), "available"),
    (rl.Slot, slot_json(maxParallelBookings="2"), "max_parallel_bookings"),
    (rl.Slot, slot_json(currentBookings=True), "current_bookings"),
    (rl.Slot, slot_json(startDateTime=1772438400), "start"),
    (rl.Slot, slot_json(endDateTime="next tuesday"), "end"),
    (rl.Slot, slot_json(resourceId=1.5), "resource_id"),
    (rl.Booking, booking_json(createdAt=None), "created_at"),
    (rl.Booking, booking_json(name=["Erika"]), "name"),
    (rl.Booking, booking_json(tableEntryData="phone"), "table_entry_data"),
    (rl.Booking, {k: v for k, v in booking_json().items() if k != "id"}, "id"),
    (rl.LeadState, {"id": "ls", "default": "true"}, "default"),
    (rl.Table, {"id": "t", "leadStates": {"id": "ls"}}, "lead_states"),
]


@pytest.mark.parametrize(("cls", "data", "field"), BAD_SHAPES)
def test_wrong_typed_known_field_is_a_shape_error_naming_it(
    cls: type[Any], data: dict[str, Any], field: str
) -> None:
    with pytest.raises(ResponseShapeError) as info:
        structure(data, cls)
    assert f"$.{field}" in str(info.value)
    assert cls.__name__ in str(info.value)
    assert isinstance(info.value, ValueError)


def test_nested_wrong_type_names_the_path() -> None:
    data = booking_json()
    data["tableSchemaFields"]["fld_phone"]["validation"]["required"] = "yes"
    with pytest.raises(ResponseShapeError, match=r"validation\.required"):
        structure(data, rl.Booking)


def test_wrong_type_in_a_list_names_the_index() -> None:
    with pytest.raises(ResponseShapeError, match=r"\$\[1\]\.id"):
        structure_list([{"id": "c1"}, {"id": 2.5}], rl.Calendar)
    with pytest.raises(ResponseShapeError, match="JSON array"):
        structure_list({"items": []}, rl.Calendar)


async def test_wrong_type_through_the_client_is_unexpected_response(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    mocked.post(
        url("/connect/calendar_bookings/"),
        status=201,
        payload=booking_json(startDateTime=12),
    )
    mocked.get(url("/connect/calendar/"), payload=[{"id": "c1", "tzdata": 5}])

    with pytest.raises(rl.BookingOutcomeUnknown) as booked:
        await client.bookings.create(booking_request())
    with pytest.raises(rl.UnexpectedResponseError) as listed:
        await client.calendars.list()

    # A 201 we cannot read may still be a booking: the outcome is unknown, not an error.
    cause = booked.value.__cause__
    assert isinstance(cause, rl.UnexpectedResponseError)
    assert cause.status == 201
    assert "$.start" in cause.message
    assert listed.value.status == 200
    assert "$[0].tzdata" in listed.value.message
    assert listed.value.method == "GET"
    assert listed.value.path == "/connect/calendar/"


def test_integral_floats_are_ints_and_numeric_ids_are_strings() -> None:
    slot = structure(slot_json(maxParallelBookings=2.0, resourceId=42), rl.Slot)
    assert slot.max_parallel_bookings == 2
    assert type(slot.max_parallel_bookings) is int
    assert slot.resource_id == "42"


# -- datetimes --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-02T08:00:00Z", datetime(2026, 3, 2, 8, tzinfo=UTC)),
        ("2026-03-02T08:00:00.000Z", datetime(2026, 3, 2, 8, tzinfo=UTC)),
        ("2026-03-02T09:00:00+01:00", datetime(2026, 3, 2, 8, tzinfo=UTC)),
        ("2026-03-02T08:00:00", datetime(2026, 3, 2, 8, tzinfo=UTC)),  # naive: read as UTC
        ("2026-03-02T08:00:00.250", datetime(2026, 3, 2, 8, 0, 0, 250000, tzinfo=UTC)),
    ],
)
def test_datetimes_out_are_always_aware(text: str, expected: datetime) -> None:
    slot = structure(slot_json(startDateTime=text, endDateTime="2026-03-02T23:00:00Z"), rl.Slot)
    assert slot.start.tzinfo is not None
    assert slot.start.utcoffset() is not None
    assert slot.start == expected


@pytest.mark.parametrize("field", ["start", "end"])
def test_naive_datetime_in_booking_request_is_refused_naming_the_field(field: str) -> None:
    values: dict[str, Any] = {"start": START, "end": END}
    values[field] = values[field].replace(tzinfo=None)
    with pytest.raises(ValueError, match=f"^{field} must be a timezone-aware datetime"):
        rl.BookingRequest(calendar_id="cal_berlin", **values)


@pytest.mark.parametrize("end", [START, START - timedelta(seconds=1)])
def test_booking_request_end_must_be_after_start(end: datetime) -> None:
    with pytest.raises(ValueError, match="must be after start"):
        rl.BookingRequest(calendar_id="cal_berlin", start=START, end=end)


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"calendar_id": ""}, ValueError),
        ({"calendar_id": None}, TypeError),
        ({"resource_id": " "}, ValueError),
        ({"start": "2026-03-02T09:00:00+01:00"}, TypeError),
    ],
)
def test_booking_request_validates_ids_and_types(
    kwargs: dict[str, Any], error: type[Exception]
) -> None:
    values: dict[str, Any] = {"calendar_id": "cal_berlin", "start": START, "end": END}
    values.update(kwargs)
    with pytest.raises(error):
        rl.BookingRequest(**values)


def test_request_models_omit_none_and_keep_offsets() -> None:
    request = rl.BookingRequest(
        calendar_id="c",
        start=datetime(2026, 7, 1, 9, tzinfo=timezone(timedelta(hours=-4))),
        end=datetime(2026, 7, 1, 10, tzinfo=timezone(timedelta(hours=-4))),
    )
    assert unstructure(request) == {
        "calendarId": "c",
        "startDateTime": "2026-07-01T09:00:00-04:00",
        "endDateTime": "2026-07-01T10:00:00-04:00",
    }
    lead = rl.LeadRequest(table_id="t", data={"f": {"value": None}}, lead_state_id="ls")
    assert unstructure(lead) == {
        "tableId": "t",
        "data": {"f": {"value": None}},
        "leadStateId": "ls",
    }


def test_lead_request_validates() -> None:
    with pytest.raises(TypeError):
        rl.LeadRequest(table_id="t", data=["x"], lead_state_id="ls")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        rl.LeadRequest(table_id="t", data={1: "x"}, lead_state_id="ls")  # type: ignore[dict-item]
    with pytest.raises(ValueError, match="lead_state_id"):
        rl.LeadRequest(table_id="t", data={}, lead_state_id="")


def test_for_slot_moves_a_request_to_another_slot() -> None:
    request = booking_request(entry_id="entry_77", name="Erika")
    other = structure(
        slot_json(
            "2026-03-02T10:00:00+01:00",
            "2026-03-02T10:30:00+01:00",
            resourceId="res_ben",
            resourceSlotId="rs_ben",
            appointmentTypeId=None,
        ),
        rl.Slot,
    )
    moved = request.for_slot(other)
    assert (moved.start, moved.resource_id, moved.resource_slot_id) == (
        other.start,
        "res_ben",
        "rs_ben",
    )
    assert (moved.entry_id, moved.name, moved.calendar_id) == ("entry_77", "Erika", "cal_berlin")
    assert moved.appointment_type_id == "apt_trial"  # kept: the slot has none


def test_calendar_zoneinfo_errors_are_value_errors() -> None:
    with pytest.raises(ValueError, match="no tzdata"):
        _ = rl.Calendar(id=rl.Id("c")).zoneinfo
    with pytest.raises(ValueError, match="unknown zone"):
        _ = rl.Calendar(id=rl.Id("c"), tzdata="Mars/Olympus_Mons").zoneinfo


def test_slot_helpers() -> None:
    full = structure(slot_json(currentBookings=2, maxParallelBookings=2), rl.Slot)
    free = structure(slot_json(currentBookings=1, maxParallelBookings=2), rl.Slot)
    closed = structure(slot_json(available=False), rl.Slot)
    assert (full.has_room, free.has_room, closed.has_room) == (False, True, False)
    assert free.duration == timedelta(minutes=30)
    assert free.key == ("res_anna", free.start, free.end)
