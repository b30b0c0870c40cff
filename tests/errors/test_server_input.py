"""Bad input from the server: whatever comes back, only a RocketLeadError subclass escapes.

Hypothesis generates raw bytes, arbitrary JSON, and JSON shaped like each response model with
junk in its fields (wrong types, odd timestamps, huge numbers, nested nonsense), and sends them
through the real request path: each resource method against a loopback server answering with
any status and any Retry-After. A second, cheaper property feeds every response model's decoder
through the transport's own decode step. No KeyError, TypeError, ValueError, JSONDecodeError or
cattrs error may leak.
"""

from __future__ import annotations

import collections.abc
import json
import types
import typing
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import attrs
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import rocketlead_async as rl

# Private SDK functions, called directly by the cheaper properties below (the decode step, the
# status-to-error map, the Retry-After parser): far more inputs than the request path affords.
from rocketlead_async._convert import RESPONSE_MODELS, decoder, wire_name
from rocketlead_async._errormap import status_error
from rocketlead_async._retry import parse_retry_after
from rocketlead_async._transport import Call
from rocketlead_async.testing import FakeRocketLead
from tests.helpers.clients import TOKEN
from tests.helpers.clock import FakeClock
from tests.helpers.endpoints import ENDPOINTS, Endpoint
from tests.helpers.fixtures.core import StartServer

BASE = "https://api.rocketlead.io"
IDS = FakeRocketLead(seed=0)  # never served: only its demo ids are used to build calls

# -- strategies -----------------------------------------------------------------------------

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # beyond 64 bits too: orjson refuses those
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=16),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=6,
)
odd_timestamps = st.one_of(
    st.sampled_from(
        [
            "2027-03-24T15:00:00.000Z",
            "2027-03-24T15:00:00+01:00",
            "2027-03-24",
            "2027-03-24T15:00:00",
            "2027-02-30T10:00:00Z",
            "24.03.2027 15:00",
            "9999-12-31T23:59:59-23:59",
            "0001-01-01T00:00:00+23:59",
            "2027-03-24T25:61:00Z",
            "",
            "Z",
            "T",
        ]
    ),
    st.datetimes(timezones=st.none() | st.timezones()).map(datetime.isoformat),
    st.text(max_size=30),
)


def typed(tp: Any, depth: int) -> st.SearchStrategy[Any]:
    """Values that fit the field type, or nearly."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is type(None):
        return st.none()
    if tp is rl.Id or tp is str:
        return st.one_of(st.text(max_size=12), st.integers(-10, 10**20))
    if tp is bool:
        return st.booleans()
    if tp in (int, float):
        return st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False))
    if tp is datetime:
        return odd_timestamps
    if tp is rl.SpecialType:
        return st.sampled_from([*(s.value for s in rl.SpecialType), "whatsapp"])
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(typed(arg, depth) for arg in args))
    if origin is list:
        return st.lists(fuzzy(args[0], depth + 1), max_size=3)
    if origin is collections.abc.Mapping:
        return st.dictionaries(st.text(max_size=6), fuzzy(args[1], depth + 1), max_size=3)
    if isinstance(tp, type) and attrs.has(tp):
        return shaped(tp, depth + 1)
    return json_values


def fuzzy(tp: Any, depth: int = 0) -> st.SearchStrategy[Any]:
    """Mostly typed, sometimes anything at all."""
    if depth > 2:
        return json_scalars
    return st.one_of(typed(tp, depth), typed(tp, depth), json_values)


def shaped(cls: type[Any], depth: int = 0) -> st.SearchStrategy[dict[str, Any]]:
    """A JSON object with ``cls``'s wire keys (each maybe missing) plus unknown keys."""
    hints = typing.get_type_hints(cls)
    optional = {
        wire_name(cls, field.name): fuzzy(hints[field.name], depth)
        for field in attrs.fields(cls)
        if field.name != "extra"
    }
    extras = st.dictionaries(st.text(max_size=8), json_values, max_size=2)
    return st.builds(
        lambda known, extra: {**extra, **known},
        st.fixed_dictionaries({}, optional=optional),
        extras,
    )


def bodies_for(model: type[Any], many: bool) -> st.SearchStrategy[bytes]:
    one = shaped(model)
    document = (
        st.one_of(st.lists(one, max_size=4), st.fixed_dictionaries({"data": st.lists(one)}))
        if many
        else one
    )
    return st.one_of(
        document.map(lambda v: json.dumps(v).encode()),
        json_values.map(lambda v: json.dumps(v).encode()),
        document.map(lambda v: json.dumps(v).encode()[: len(json.dumps(v)) // 2]),
        st.binary(max_size=200),
        st.text(max_size=80).map(str.encode),
    )


statuses = st.one_of(
    st.sampled_from([200, 201, 204, 400, 401, 403, 404, 409, 429, 500, 502, 503, 504]),
    st.integers(200, 599),
)
retry_afters = st.one_of(
    st.none(),
    st.integers(-5, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["Wed, 21 Oct 2026 07:28:00 GMT", "Fri, 31 Dec 9999 23:59:59 GMT", "0", ""]),
    st.text(max_size=30),
)
# What a server can put in a header: printable ASCII (aiohttp refuses to send CR or LF).
header_retry_afters = st.one_of(
    retry_afters.filter(lambda value: value is None or (value.isascii() and value.isprintable())),
    st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=30),
)


# -- which model each endpoint decodes --------------------------------------------------------


class _Stop(Exception):
    pass


async def _captured(endpoint: Endpoint, client: rl.RocketLeadClient) -> Call[Any]:
    """The Call the resource method builds. The SDK's private transport is stubbed to record
    it: what a call decodes is visible nowhere else, and the fuzzer must shape its bodies."""
    seen: list[Call[Any]] = []

    async def record(call: Call[Any], wire: object = None) -> Any:
        seen.append(call)
        raise _Stop

    client._transport.request = record  # type: ignore[method-assign]
    with pytest.raises(_Stop):
        await endpoint.call(client, IDS, "fuzz")
    (call,) = seen
    return call


MODELS: dict[str, tuple[type[Any], bool]] = {}


async def _model_for(endpoint: Endpoint) -> tuple[type[Any], bool]:
    """The model (and whether a list of it) the endpoint's Call decodes; ``dict`` for none."""
    if endpoint.name not in MODELS:
        async with rl.RocketLeadClient(TOKEN, base_url=BASE) as probe:
            decode = (await _captured(endpoint, probe)).decode
        # A converter decoder says what it decodes (model, many); DELETE's decodes nothing.
        cls = getattr(decode, "model", dict)
        many = bool(getattr(decode, "many", False))
        MODELS[endpoint.name] = (cls, many)
    return MODELS[endpoint.name]


async def test_each_endpoint_is_fuzzed_with_its_own_model() -> None:
    """The introspection above works: the fuzzer shapes bodies like what each call decodes."""
    found = {e.name: await _model_for(e) for e in ENDPOINTS}
    assert found["availability.get"] == (rl.Availability, False)
    assert found["bookings.create"] == (rl.Booking, False)
    assert found["bookings.delete"] == (dict, False)
    assert found["leads.update"] == (rl.LeadEntry, False)
    assert found["calendars.list"] == (rl.Calendar, True)
    assert found["resource_slot_blockers.list"] == (rl.ResourceSlotBlocker, True)
    assert {model for model, _ in found.values()} == {
        rl.Availability,
        rl.Booking,
        rl.LeadEntry,
        rl.Calendar,
        rl.Resource,
        rl.AppointmentType,
        rl.Table,
        rl.ResourceSlot,
        rl.ResourceSlotBlocker,
        rl.ResourceCalendarMapping,
        rl.AppointmentTypeResourceMapping,
        dict,
    }


# -- through the whole request path, per endpoint ------------------------------------------------


@attrs.define
class Scripted:
    """The answer the loopback server gives every request, set by each example."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = attrs.Factory(dict)

    async def __call__(self, _request: web.Request) -> web.StreamResponse:
        return web.Response(status=self.status, body=self.body, headers=self.headers)


@pytest.fixture
async def answering(loopback: StartServer) -> tuple[Scripted, str]:
    """One loopback server for all of a test's examples, answering with what each one sets;
    its URL."""
    answer = Scripted()
    return answer, (await loopback(answer)).url


async def _outcome(call: Callable[[], Awaitable[Any]]) -> tuple[Any, BaseException | None]:
    """``(result, None)`` or ``(None, the error)``; anything not a RocketLeadError propagates."""
    try:
        return await call(), None
    except rl.RocketLeadError as error:
        return None, error


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_any_answer_is_a_model_or_a_rocketlead_error(
    endpoint: Endpoint, data: st.DataObject, answering: tuple[Scripted, str]
) -> None:
    model, many = await _model_for(endpoint)
    answer, url = answering
    answer.body = data.draw(
        bodies_for(model, many) if model is not dict else st.binary(max_size=50)
    )
    answer.status = data.draw(statuses)
    retry_after = data.draw(header_retry_afters)
    answer.headers = {"Content-Type": "application/json"}
    if retry_after is not None:
        answer.headers["Retry-After"] = retry_after
    clock = FakeClock()
    async with rl.RocketLeadClient(TOKEN, base_url=url, clock=clock, sleep=clock.sleep) as client:
        result, error = await _outcome(lambda: endpoint.call(client, IDS, "fuzz"))
    if error is not None:
        assert str(error)
        assert not isinstance(error, rl.APIStatusError) or error.status == answer.status
    else:
        assert 200 <= answer.status < 300
        if model is not dict:
            assert isinstance(result, list if many else model)


# -- the decode step alone, for every response model ---------------------------------------------


@pytest.mark.parametrize("model", RESPONSE_MODELS, ids=lambda m: m.__name__)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_decode_of_any_body_is_the_model_or_unexpected_response(
    model: type[Any], data: st.DataObject
) -> None:
    """The SDK's private decode step, called directly: many more bodies per model than the
    request path above can afford."""
    many = data.draw(st.booleans())
    transport = rl.RocketLeadClient(TOKEN, base_url=BASE)._transport
    call: Call[Any] = Call(
        method="GET",
        path="/connect/x/",
        decode=decoder(model, many=many),
        timeout=1.0,
        retry=rl.RetryPolicy(),
    )
    raw = data.draw(bodies_for(model, many))
    status = data.draw(st.integers(200, 299))
    decoded: Any = None
    error: rl.UnexpectedResponseError | None = None
    try:
        decoded = transport._decode(call, status, raw)
    except rl.UnexpectedResponseError as exc:
        error = exc
    if error is not None:
        assert error.status == status
    else:
        assert isinstance(decoded, list if many else model)


@settings(max_examples=150, deadline=None)
@given(
    status=st.integers(300, 599),
    raw=st.one_of(st.binary(max_size=200), json_values.map(lambda v: json.dumps(v).encode())),
    retry_after=retry_afters,
)
def test_any_error_answer_maps_to_a_typed_status_error(
    status: int, raw: bytes, retry_after: str | None
) -> None:
    headers = {} if retry_after is None else {"Retry-After": retry_after}
    error = status_error("POST", "/connect/calendar_bookings/", status, raw, headers)
    assert isinstance(error, rl.APIStatusError)
    assert error.status == status
    assert isinstance(error.message, str)
    if status == 429:
        assert isinstance(error, rl.RateLimitError)
    elif status >= 500:
        assert isinstance(error, rl.InternalServerError)


@settings(max_examples=150, deadline=None)
@given(retry_after=retry_afters)
def test_any_retry_after_parses_to_seconds_or_none(retry_after: str | None) -> None:
    seconds = parse_retry_after(retry_after)
    assert seconds is None or (isinstance(seconds, float) and 0 <= seconds < float("inf"))
