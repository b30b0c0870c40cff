"""Odd input, echoed secrets, budgets and recovery bookkeeping: every promise holds."""

from __future__ import annotations

import asyncio
import gc
import traceback
from datetime import datetime, timedelta, timezone
from typing import Any

import aiohttp
import pytest
from tests.helpers.clients import MakeClient
from aioresponses import aioresponses

import rocketlead_async as rl
from rocketlead_async import recovery

from ._no_orjson import stdlib_json  # noqa: F401 - a fixture
from ._support import (
    BASE,
    SECRET,
    TOKEN,
    FakeClock,
    any_query,
    availability_json,
    booking_json,
    booking_request,
    calls,
    lead_json,
    lead_request,
    sent_json,
    url,
)

REQUEST = booking_request()
BOOKINGS = "/connect/calendar_bookings/"
SLOT_TAKEN = {"statusCode": 400, "message": "The selected time slot is no longer available"}


def race_lost_then(mocked: aioresponses, **second_post: Any) -> None:
    """The first booking POST loses the race; availability has alternatives; the second POST
    is answered with ``second_post``."""
    mocked.post(url(BOOKINGS), status=400, payload=SLOT_TAKEN)
    mocked.get(any_query("/connect/availability/"), payload=availability_json())
    mocked.post(url(BOOKINGS), **second_post)


def posts(mocked: aioresponses) -> list[Any]:
    return [call for call in calls(mocked) if call[0] == "POST"]


# -- bad input: refused before any I/O, naming the field ---------------------------------------


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_numbers_in_lead_data_are_refused_naming_the_place(value: float) -> None:
    with pytest.raises(ValueError, match=r"data\['fld_age'\]\['value'\]"):
        lead_request(data={"fld_age": {"value": value}})
    with pytest.raises(ValueError, match=r"custom_field_data\['cf'\]\[1\]"):
        lead_request(custom_field_data={"cf": [1, value]})


async def test_a_non_finite_number_in_a_merge_patch_is_refused_before_sending(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    """orjson would send NaN as null, which RFC 7396 reads as "delete this key"."""
    with pytest.raises(ValueError, match=r"patch\['score'\]"):
        await client.leads.update("entry_77", {"score": float("nan")})
    with pytest.raises(ValueError, match=r"patch\['data'\]\['x'\]"):
        await client.leads.update("entry_77", {"data": {"x": float("inf")}})
    assert calls(mocked) == []


def test_a_naive_datetime_inside_lead_data_is_refused() -> None:
    with pytest.raises(ValueError, match=r"data\['visit'\] must be a timezone-aware"):
        lead_request(data={"visit": datetime(2026, 3, 2, 9, 0)})


@pytest.mark.usefixtures("stdlib_json")
async def test_an_aware_datetime_inside_lead_data_is_sent_as_iso_without_orjson(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    when = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
    mocked.post(url("/connect/table_entries/"), status=201, payload=lead_json())
    await client.leads.create(lead_request(data={"visit": {"value": when}}))
    ((_, _, kwargs),) = calls(mocked)
    assert sent_json(kwargs)["data"] == {"visit": {"value": "2026-03-02T09:00:00+00:00"}}


@pytest.mark.parametrize("bad", [".", "..", "...", "a\x00b", "res\n", "tab\tid", "a/b", "a..b"])
def test_one_id_rule_when_a_booking_request_is_built(bad: str) -> None:
    for field in ("calendar_id", "resource_id", "appointment_type_id", "resource_slot_id"):
        with pytest.raises(ValueError, match=field):
            booking_request(**{field: bad})


@pytest.mark.parametrize("bad", [".", "...", "a\x7fb"])
async def test_the_same_id_rule_guards_paths(
    mocked: aioresponses, client: rl.RocketLeadClient, bad: str
) -> None:
    with pytest.raises(ValueError, match="id"):
        await client.calendars.get(bad)
    with pytest.raises(ValueError, match="booking_id"):
        await client.bookings.delete(bad)
    assert calls(mocked) == []


def test_a_booking_name_must_be_a_string() -> None:
    with pytest.raises(TypeError, match="name"):
        booking_request(name=123)


@pytest.mark.parametrize("huge", [10**400, -(10**400)])
async def test_an_enormous_timeout_is_a_value_error_not_an_overflow(
    client: rl.RocketLeadClient, huge: int
) -> None:
    with pytest.raises(ValueError, match="timeout"):
        rl.RocketLeadClient(TOKEN, timeout=huge)
    with pytest.raises(ValueError, match="timeout"):
        await client.bookings.create(REQUEST, timeout=huge)
    with pytest.raises(ValueError, match="attempt_timeout"):
        rl.RetryPolicy(attempt_timeout=huge)


def test_settings_are_checked_by_one_rule_everywhere(client: rl.RocketLeadClient) -> None:
    with pytest.raises(ValueError, match="initial_backoff"):
        rl.RetryPolicy(initial_backoff=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="min_attempt_time"):
        rl.SlotRecovery(min_attempt_time=True)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="timeout"):
        client.timeout = -1
    with pytest.raises(TypeError, match="retry"):
        client.retry = 3  # type: ignore[assignment]
    assert client.timeout == 10.0


def test_a_non_ascii_token_is_refused_without_showing_it() -> None:
    token = "rocketlead_live_" + "é" * 64
    with pytest.raises(ValueError, match="non-ASCII") as caught:
        rl.RocketLeadClient(token)
    assert "é" not in str(caught.value)


@pytest.mark.parametrize(
    "message",
    [
        "The selected time slot is no\u00a0longer available",
        "The selected time slot is no  longer\tavailable",
        "NO LONGER\u200bAVAILABLE",
    ],
)
async def test_slot_taken_is_detected_whatever_the_spacing(
    mocked: aioresponses, client: rl.RocketLeadClient, message: str
) -> None:
    mocked.post(url(BOOKINGS), status=400, payload={"statusCode": 400, "message": message})
    with pytest.raises(rl.SlotUnavailableError):
        await client.bookings.create(REQUEST)


async def test_an_unbounded_recovery_window_does_not_overflow(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    race_lost_then(mocked, status=201, payload=booking_json())
    outcome = await client.bookings.book(REQUEST, recovery=rl.SlotRecovery(window=timedelta.max))
    assert outcome.recovered
    (_, fetched, _) = next(call for call in calls(mocked) if call[0] == "GET")
    assert fetched.query["start"].startswith("0001-01-01")


# -- secrets: the token appears in nothing the SDK repeats --------------------------------------


def _reset_while_writing() -> aiohttp.ClientOSError:
    """A reset as aiohttp raises it from a socket write: a frame up its traceback holds the
    request bytes, token included (asyncio's ``selector_events.write`` has them as ``data``)."""
    data = b"GET /connect/calendar/ HTTP/1.1\r\nAuthorization: Bearer " + TOKEN.encode()
    try:
        raise aiohttp.ClientOSError(104, "Connection reset by peer")
    except aiohttp.ClientOSError as exc:
        assert data  # kept alive in the frame's locals
        return exc


async def test_a_transport_error_chains_no_raw_exception_and_no_frames_with_the_token(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    mocked.get(url("/connect/calendar/"), exception=_reset_while_writing())
    with pytest.raises(rl.APIConnectionError) as caught:
        await client.calendars.list(retry=rl.NO_RETRY)
    error = caught.value
    assert error.__cause__ is None
    assert error.__context__ is None
    assert error.transport_error == "ClientOSError: [Errno 104] Connection reset by peer"
    shown = "".join(
        traceback.TracebackException.from_exception(error, capture_locals=True).format()
    )
    assert SECRET not in shown


async def test_a_token_the_server_echoes_is_scrubbed_from_the_error(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    mocked.get(
        url("/connect/calendar/"),
        status=401,
        payload={"statusCode": 401, "message": f"token {TOKEN} is revoked"},
        headers={"X-Debug-Authorization": f"Bearer {TOKEN}", "X-Request-Id": "req-42"},
    )
    with pytest.raises(rl.AuthenticationError) as caught:
        await client.calendars.list()
    error = caught.value
    assert error.message == "token *** is revoked"
    assert error.request_id == "req-42"
    assert error.headers["x-debug-authorization"] == "Bearer ***"
    everything = [str(error), repr(error), repr(error.body), repr(dict(error.headers))]
    assert not any(SECRET in text for text in everything)


async def test_a_proxy_page_echoing_the_token_is_scrubbed_from_excerpts(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    page = f"<html><body>debug: Authorization: Bearer {TOKEN}</body></html>"
    mocked.get(url("/connect/calendar/"), status=502, body=page, repeat=True)
    mocked.post(url(BOOKINGS), status=201, body=page)
    with pytest.raises(rl.InternalServerError) as status_error:
        await client.calendars.list(retry=rl.NO_RETRY)
    with pytest.raises(rl.BookingOutcomeUnknown) as unknown:
        await client.bookings.create(REQUEST)
    texts = [str(status_error.value), repr(status_error.value.body), str(unknown.value)]
    texts += [str(unknown.value.__cause__), repr(getattr(unknown.value.__cause__, "body", ""))]
    assert not any(SECRET in text for text in texts)
    assert "Bearer ***" in status_error.value.message


@pytest.mark.parametrize(
    "base_url", [TOKEN, f"{BASE}/?token={TOKEN}", f"http://example.com/{TOKEN}"]
)
def test_a_base_url_holding_the_token_is_not_quoted(base_url: str) -> None:
    with pytest.raises(ValueError, match="base_url") as caught:
        rl.RocketLeadClient(TOKEN, base_url=base_url)
    assert SECRET not in str(caught.value)


# -- budget ---------------------------------------------------------------------------------------


async def test_an_async_hook_does_not_hold_up_the_call(
    mocked: aioresponses, make_client: MakeClient
) -> None:
    """A slow pager must not make create(timeout=0.5) return seconds late: the call raises at
    once and the hook goes on as a task the client tracks (aclose() waits for it)."""
    release = asyncio.Event()
    done: list[rl.OutcomeUnknownError] = []

    async def slow_hook(error: rl.OutcomeUnknownError) -> None:
        await release.wait()
        done.append(error)

    client = make_client(on_outcome_unknown=slow_hook)
    mocked.post(url(BOOKINGS), status=504, body="Gateway Timeout")
    call = asyncio.ensure_future(client.bookings.create(REQUEST, timeout=0.5))
    for _ in range(50):
        if call.done():
            break
        await asyncio.sleep(0)
    finished = call.done()
    release.set()
    with pytest.raises(rl.BookingOutcomeUnknown):
        await call
    assert finished, "the call waited for its outcome hook"
    await client.aclose()
    assert done == [call.exception()]


async def test_no_transport_repeat_of_a_booking_post_starts_below_min_attempt_time(
    mocked: aioresponses, client: rl.RocketLeadClient, clock: FakeClock
) -> None:
    """After a 503 with Retry-After 0.9 under timeout=1.0, a repeat would start with 0.1 s
    left and could be cut off after committing: it does not start."""
    refusal = {"statusCode": 503, "message": "Service Unavailable"}
    mocked.post(url(BOOKINGS), status=503, payload=refusal, headers={"Retry-After": "0.9"})
    mocked.post(url(BOOKINGS), status=201, payload=booking_json())
    with pytest.raises(rl.InternalServerError):
        await client.bookings.book(REQUEST, timeout=1.0)
    assert len(posts(mocked)) == 1
    assert clock.sleeps == []


async def test_a_transport_repeat_within_min_attempt_time_stays_one_attempt(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    """SlotRecovery.max_attempts counts attempts: a POST repeated because it certainly did not
    commit (429) stays within its attempt."""
    mocked.post(url(BOOKINGS), status=429, payload={"statusCode": 429, "message": "slow down"})
    mocked.post(url(BOOKINGS), status=201, payload=booking_json())
    outcome = await client.bookings.book(REQUEST, recovery=rl.SlotRecovery(max_attempts=1))
    assert len(outcome.attempts) == 1
    assert len(posts(mocked)) == 2


# -- recovery bookkeeping -------------------------------------------------------------------------


async def test_the_hook_sees_the_whole_history_of_an_unknown_booking(
    mocked: aioresponses, make_client: MakeClient
) -> None:
    seen: list[int] = []
    client = make_client(on_outcome_unknown=lambda error: seen.append(len(error.attempts)))
    race_lost_then(mocked, status=504, body="Gateway Timeout")
    with pytest.raises(rl.BookingOutcomeUnknown) as caught:
        await client.bookings.book(REQUEST)
    assert seen == [2]  # the lost race and the unknown POST, already when the hook ran
    lost, pending = caught.value.attempts
    assert isinstance(lost.error, rl.SlotUnavailableError)
    assert pending.error is caught.value
    assert pending.request is caught.value.request


async def test_a_lost_race_leaves_no_reference_cycle(
    mocked: aioresponses, client: rl.RocketLeadClient
) -> None:
    race_lost_then(mocked, status=201, payload=booking_json())
    gc.collect()
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        outcome = await client.bookings.book(REQUEST)
        assert outcome.recovered
        assert outcome.attempts[0].error is not None
        assert outcome.attempts[0].error.__traceback__ is None
        del outcome
        gc.collect()
        runs = [thing for thing in gc.garbage if isinstance(thing, recovery._Run)]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert runs == []
