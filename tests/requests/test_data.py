"""Models and errors as data: pickle, deep copy and hash; reprs without personal data; the public
wire form (``to_dict``/``to_json``/``from_dict``) round-trips every model."""

from __future__ import annotations

import copy
import inspect
import json
import pickle
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from multidict import CIMultiDictProxy

import rocketlead_async as rl
from rocketlead_async import _json, errors
from rocketlead_async._convert import REQUEST_MODELS, RESPONSE_MODELS, structure
from tests.helpers.bodies import (
    PHONE,
    availability_json,
    booking_json,
    booking_request,
    lead_json,
)
from tests.helpers.bodies import lead_request as make_lead_request
from tests.helpers.models import HYPOTHESIS, MODEL_IDS, models


def roundtrips(value: Any) -> None:
    for copied in (pickle.loads(pickle.dumps(value)), copy.deepcopy(value), copy.copy(value)):
        assert copied == value
        assert type(copied) is type(value)
        assert hash(copied) == hash(value)


# -- models ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", RESPONSE_MODELS, ids=MODEL_IDS)
@HYPOTHESIS
@given(data=st.data())
def test_every_response_model_pickles_copies_and_hashes(cls: type[Any], data: Any) -> None:
    with_extra = data.draw(st.booleans())
    roundtrips(data.draw(models(cls, with_extra=with_extra)))


def test_a_model_without_extras_pickles_by_reference_to_the_shared_empty_mapping() -> None:
    slot = structure(availability_json()["data"][0], rl.Slot)
    assert pickle.loads(pickle.dumps(slot)).extra is slot.extra
    assert copy.deepcopy(slot).extra is slot.extra
    assert slot.extra == {}


def test_request_models_pickle_copy_and_hash() -> None:
    roundtrips(booking_request(entry_id="entry_77", name="Jane"))
    roundtrips(make_lead_request(custom_field_data={"cf": 1}))


def test_bookable_slots_go_into_a_set() -> None:
    av = structure(availability_json(), rl.Availability)
    bookable = av.bookable()
    assert len(set(bookable)) == len(bookable)
    # Equal models hash equal, also when one was decoded again from the wire.
    again = structure(availability_json(), rl.Availability)
    assert set(again.bookable()) == set(bookable)
    assert hash(av) == hash(again)


def test_containers_count_for_equality_not_for_the_hash() -> None:
    lead = structure(lead_json(), rl.LeadEntry)
    other = structure(lead_json(data={"fld_name": {"value": "Max"}}), rl.LeadEntry)
    assert lead != other
    assert hash(lead) == hash(other)  # data is a mutable mapping: never part of the hash


def _other_data() -> dict[type[Any], Any]:
    """One value of every public attrs class that is not a wire model (results, events, policy
    objects): what an application hands to a job queue, a process pool or a cache."""
    slot = structure(availability_json()["data"][1], rl.Slot)
    booking = structure(booking_json(), rl.Booking)
    request = booking_request(name="Erika Mustermann")
    taken = rl.SlotUnavailableError(
        "taken", status=400, method="POST", path="/p", body={"message": "taken"}
    )
    attempt = rl.Attempt(request, taken, 0.1)
    offered = rl.OfferedSlot("S1", slot, "Wednesday 24 March at 15:00")
    values = [
        attempt,
        rl.BookingOutcome(booking, (attempt,), True, request),
        rl.LateOutcome(request, booking, None, (attempt,)),
        rl.RecoveryEvent(rl.RecoveryEventKind.PICKED, 2, slot, 0.1, request, candidates=3),
        offered,
        rl.DeskResult("alternatives", "How about 15:00?", alternatives=(offered,)),
        rl.Seat(slot.resource_id, slot.start, slot.end, calendar_id="cal_berlin"),
        rl.Phrases(),
        rl.RetryPolicy(max_attempts=5),
        rl.SlotRecovery(picker="next_after", spread=2),
    ]
    return {type(value): value for value in values}


OTHER_DATA = _other_data()


def test_every_public_attrs_class_has_a_round_trip_row() -> None:
    """A new public model fails here until it is a wire model (covered by the hypothesis rows
    above) or has a value in ``OTHER_DATA``."""
    public = {
        value
        for name in rl.__all__
        if inspect.isclass(value := getattr(rl, name)) and attrs.has(value)
    }
    assert public == set(RESPONSE_MODELS) | set(REQUEST_MODELS) | set(OTHER_DATA)


@pytest.mark.parametrize("value", OTHER_DATA.values(), ids=lambda v: type(v).__name__)
def test_every_other_public_data_class_pickles_and_copies(value: Any) -> None:
    for copied in (pickle.loads(pickle.dumps(value)), copy.deepcopy(value), copy.copy(value)):
        assert type(copied) is type(value)
        # Errors inside (Attempt.error) and seats compare by identity: compare what they say.
        assert repr(copied) == repr(value)
        if copied == value:
            assert hash(copied) == hash(value)


# -- reprs ----------------------------------------------------------------------------------------


def test_booking_repr_shows_ids_and_times_never_personal_data() -> None:
    booking = structure(booking_json(), rl.Booking)
    text = repr(booking)
    for private in ("Erika", PHONE, "Probetraining", "Telefon", "connect"):
        assert private not in text
    assert text == (
        "Booking(id='bk_9001', calendar_id='cal_berlin', resource_id='res_anna', "
        "appointment_type_id='apt_trial', start=2026-03-02T09:00:00+01:00, "
        "end=2026-03-02T09:30:00+01:00, table_entry_id='entry_77')"
    )


def test_request_and_lead_reprs_leave_out_names_and_lead_data() -> None:
    request = booking_request(name="Erika Mustermann", entry_id="entry_77")
    assert "Erika" not in repr(request)
    assert "start=2026-03-02T09:00:00+01:00" in repr(request)
    assert "entry_id='entry_77'" in repr(request)
    lead_request = make_lead_request()
    assert repr(lead_request) == "LeadRequest(table_id='tbl_leads', lead_state_id='ls_new')"
    entry = structure(lead_json(), rl.LeadEntry)
    assert "Erika" not in repr(entry)
    assert PHONE not in repr(entry)
    assert "voice-agent" not in repr(entry)
    assert repr(entry).startswith("LeadEntry(id='entry_77', table_id='tbl_leads'")
    assert len(repr(structure(booking_json(), rl.Booking))) < 300


# -- errors ---------------------------------------------------------------------------------------


def _public_errors() -> list[type[rl.RocketLeadError]]:
    found = [
        value
        for name in errors.__all__
        if inspect.isclass(value := getattr(errors, name)) and issubclass(value, rl.RocketLeadError)
    ]
    assert len(found) >= 17
    return found


def _instance(cls: type[rl.RocketLeadError]) -> rl.RocketLeadError:
    if issubclass(cls, rl.APIStatusError):
        return cls(
            "nope",
            status=429,
            method="GET",
            path="/connect/calendars/",
            body={"message": "nope"},
            retry_after=2.0,
        )
    if issubclass(cls, rl.APIConnectionError):
        return cls("reset", method="POST", path="/p", request_sent=True)
    if issubclass(cls, rl.OutcomeUnknownError):
        error = cls("read timeout", method="POST", path="/p", request=booking_request(), status=504)
        if isinstance(error, rl.BookingOutcomeUnknown):
            error.attempts = (rl.Attempt(booking_request(), None, 0.5),)
        return error
    if issubclass(cls, rl.SlotRecoveryExhausted):
        slot = structure(availability_json()["data"][1], rl.Slot)
        taken = rl.SlotUnavailableError(
            "taken", status=400, method="POST", path="/p", body={"message": "taken"}
        )
        return cls(
            "gave up",
            reason="max_attempts",
            attempts=[rl.Attempt(booking_request(), taken, 0.1)],
            alternatives=[slot],
        )
    return cls("plain")


@pytest.mark.parametrize("cls", _public_errors(), ids=lambda c: c.__name__)
def test_every_public_error_survives_pickle_and_deepcopy(cls: type[rl.RocketLeadError]) -> None:
    error = _instance(cls)
    error.add_note("from the job queue") if hasattr(error, "add_note") else None
    for copied in (pickle.loads(pickle.dumps(error)), copy.deepcopy(error)):
        assert type(copied) is cls
        assert str(copied) == str(error)
        assert copied.args == error.args
        assert set(vars(copied)) == set(vars(error))
        for name, value in vars(error).items():
            if name == "attempts":  # Attempts hold errors, compared by what they say
                assert [(a.request, str(a.error)) for a in getattr(copied, name)] == [
                    (a.request, str(a.error)) for a in value
                ]
            else:
                assert getattr(copied, name) == value, name


def test_response_headers_on_an_error_survive_pickle_read_only() -> None:
    error = rl.InternalServerError(
        "boom", status=500, method="GET", path="/p", headers={"X-Request-Id": "req-1"}
    )
    for copied in (pickle.loads(pickle.dumps(error)), copy.deepcopy(error)):
        assert type(copied.headers) is CIMultiDictProxy
        assert copied.headers["x-request-id"] == "req-1"


# -- the wire form --------------------------------------------------------------------------------


@pytest.mark.parametrize("cls", RESPONSE_MODELS, ids=MODEL_IDS)
@HYPOTHESIS
@given(data=st.data())
def test_from_dict_inverts_to_dict_for_every_response_model(cls: type[Any], data: Any) -> None:
    model = data.draw(models(cls))
    wire = rl.to_dict(model)
    decoded = rl.from_dict(cls, wire)  # built by the fused decoder, not by __init__
    assert decoded == model
    assert hash(decoded) == hash(model)
    roundtrips(decoded)  # pickles and copies as one made by its constructor
    # ... and through real JSON bytes, read as a response is.
    assert rl.from_dict(cls, _json.loads(rl.to_json(model).encode())) == model


def test_to_dict_is_the_wire_form_camel_case_with_offsets() -> None:
    booking = structure(booking_json(), rl.Booking)
    wire = rl.to_dict(booking)
    assert wire["startDateTime"] == "2026-03-02T09:00:00+01:00"
    assert wire["createdAt"] == "2026-03-01T10:15:00.123000+00:00"
    assert wire["tableEntryId"] == "entry_77"
    assert wire["bookingSource"] == "connect"  # extras come back out
    assert json.loads(rl.to_json(booking)) == wire
    av = rl.to_dict(structure(availability_json(), rl.Availability))
    assert set(av) == {"data", "meta"}
    assert av["data"][0]["resourceSlotId"] == "rs_res_anna_0"


def test_request_models_round_trip_and_omit_unset_fields() -> None:
    request = booking_request(entry_id="entry_77")
    wire = rl.to_dict(request)
    assert "name" not in wire
    assert wire["entryId"] == "entry_77"
    assert rl.from_dict(rl.BookingRequest, wire) == request
    lead = make_lead_request(custom_field_data={"cf": 1})
    assert rl.from_dict(rl.LeadRequest, json.loads(rl.to_json(lead))) == lead
    assert {type(r) for r in (request, lead)} == set(REQUEST_MODELS)


def test_from_dict_names_what_does_not_fit() -> None:
    wire = rl.to_dict(booking_request())
    with pytest.raises(ValueError, match="start"):
        rl.from_dict(rl.BookingRequest, {**wire, "startDateTime": 5})
    with pytest.raises(ValueError, match="end"):
        rl.from_dict(rl.BookingRequest, {**wire, "endDateTime": wire["startDateTime"]})
    with pytest.raises(ValueError, match="current_bookings"):
        rl.from_dict(rl.Slot, {**availability_json()["data"][0], "currentBookings": "2"})
    with pytest.raises(TypeError, match="not a rocketlead_async model"):
        rl.to_dict({"id": 1})
    with pytest.raises(TypeError, match="not a rocketlead_async model"):
        rl.from_dict(dict, {})
