"""Fault plans as a raw aiohttp client sees them, plus request counters and latency."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest

from rocketlead_async.testing import FakeRocketLead, Fault

from .fake_support import Wire, fresh_get_status

BOOKINGS = "/connect/calendar_bookings/"
POST_BOOKING = "POST /connect/calendar_bookings/"
CALENDARS = "GET /connect/calendar/"


def booking_body(fake: FakeRocketLead) -> dict[str, Any]:
    demo = fake.demo
    return {
        "calendarId": demo.mitte_calendar_id,
        "resourceId": demo.mitte_trainer_ids[1],
        "appointmentTypeId": demo.personal_training_type_id,
        "startDateTime": "2027-03-25T09:00:00Z",
        "endDateTime": "2027-03-25T10:00:00Z",
    }


def created(fake: FakeRocketLead) -> int:
    return len(fake.state.bookings) - len(fake.demo.booking_ids)


@pytest.mark.parametrize("status", [500, 502, 503, 504, 429])
async def test_status_fault_uses_the_envelope(
    wire: Wire, fake: FakeRocketLead, status: int
) -> None:
    fake.faults.add(POST_BOOKING, Fault.status(status))
    reply = await wire.post(BOOKINGS, booking_body(fake))
    assert reply.status == status
    assert reply.json["statusCode"] == status
    assert isinstance(reply.json["message"], str)
    assert "Retry-After" not in reply.headers
    assert created(fake) == 0
    assert (await wire.post(BOOKINGS, booking_body(fake))).status == 201


@pytest.mark.parametrize("retry_after", ["2", 7, "Wed, 21 Oct 2026 07:28:00 GMT"])
async def test_retry_after(wire: Wire, fake: FakeRocketLead, retry_after: str | int) -> None:
    fake.faults.add(CALENDARS, Fault.status(429, retry_after=retry_after))
    reply = await wire.get("/connect/calendar/")
    assert (reply.status, reply.headers["Retry-After"]) == (429, str(retry_after))
    assert reply.json == {"statusCode": 429, "message": "Too Many Requests"}


async def test_times_counts_and_then_normal(wire: Wire, fake: FakeRocketLead) -> None:
    plan = fake.faults.add(POST_BOOKING, Fault.status(503, retry_after="2"), times=2)
    statuses = [(await wire.post(BOOKINGS, booking_body(fake))).status for _ in range(3)]
    assert statuses == [503, 503, 201]
    assert (plan.remaining, plan.applied) == (0, 2)
    assert fake.faults.pending == []
    assert fake.request_count(POST_BOOKING) == 3


async def test_plans_apply_in_order_and_star_matches_all(wire: Wire, fake: FakeRocketLead) -> None:
    fake.faults.add("*", Fault.status(500))
    fake.faults.add(CALENDARS, Fault.status(502))
    assert (await wire.get("/connect/tables/")).status == 500
    assert (await wire.get("/connect/calendar/")).status == 502
    assert (await wire.get("/connect/calendar/")).status == 200


async def test_forever_until_cleared(wire: Wire, fake: FakeRocketLead) -> None:
    fake.faults.add(CALENDARS, Fault.status(503), times=None)
    for _ in range(3):
        assert (await wire.get("/connect/calendar/")).status == 503
    fake.faults.clear()
    assert (await wire.get("/connect/calendar/")).status == 200


def test_bad_plans_are_refused(fake: FakeRocketLead) -> None:
    with pytest.raises(ValueError, match="unknown route key"):
        fake.faults.add("POST /connect/calendar_bookings", Fault.status(503))
    with pytest.raises(ValueError, match="times"):
        fake.faults.add("*", Fault.status(503), times=0)
    with pytest.raises(ValueError, match="error status"):
        Fault.status(200)
    with pytest.raises(ValueError, match="size_bytes"):
        Fault.huge(3)
    fake.faults.add("DELETE /connect/calendar_bookings/{id}", Fault.status(503))
    fake.faults.add("PATCH /connect/table_entries/{id}", Fault.status(503))
    fake.faults.add("HEAD /connect/tables/{id}", Fault.status(503))


async def test_status_fault_may_commit(wire: Wire, fake: FakeRocketLead) -> None:
    fake.faults.add(POST_BOOKING, Fault.status(504, commit=True))
    assert (await wire.post(BOOKINGS, booking_body(fake))).status == 504
    assert created(fake) == 1


async def test_latency(wire: Wire, fake: FakeRocketLead) -> None:
    fake.faults.add(CALENDARS, Fault.latency(0.03))
    began = time.perf_counter()
    reply = await wire.get("/connect/calendar/")
    assert reply.status == 200
    assert time.perf_counter() - began >= 0.0199


async def test_latency_after_commit_outlives_a_client_timeout(
    wire: Wire, fake: FakeRocketLead
) -> None:
    fake.faults.add(POST_BOOKING, Fault.latency(0.05, commit=True))
    with pytest.raises(asyncio.TimeoutError):
        await wire.call(
            "POST", BOOKINGS, json=booking_body(fake), timeout=aiohttp.ClientTimeout(total=0.02)
        )
    for _ in range(200):  # on a loaded machine the commit may trail the client's timeout
        if created(fake):
            break
        await asyncio.sleep(0.005)
    assert created(fake) == 1


async def test_global_latency(wire: Wire, fake: FakeRocketLead) -> None:
    fake.latency = 0.02
    began = time.perf_counter()
    assert (await wire.get("/connect/tables/")).status == 200
    assert time.perf_counter() - began >= 0.02


async def test_drop_before_does_not_commit(wire: Wire, fake: FakeRocketLead) -> None:
    fake.faults.add(POST_BOOKING, Fault.drop_before())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await wire.post(BOOKINGS, booking_body(fake))
    assert created(fake) == 0
    assert fake.events == []
    assert fake.request_count(POST_BOOKING) == 1
    assert (await wire.post(BOOKINGS, booking_body(fake))).status == 201


async def test_drop_after_commit_commits(wire: Wire, fake: FakeRocketLead) -> None:
    fake.faults.add(POST_BOOKING, Fault.drop_after_commit())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await wire.post(BOOKINGS, booking_body(fake))
    assert created(fake) == 1
    assert len(fake.events_named("calendar.appointment.booked")) == 1
    retry = await wire.post(BOOKINGS, booking_body(fake))
    assert retry.json["message"] == "The selected time slot is no longer available"


async def test_drop_on_get_and_delete(wire: Wire, fake: FakeRocketLead) -> None:
    fake.faults.add(CALENDARS, Fault.drop_before())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await wire.get("/connect/calendar/")
    booking_id = fake.demo.booking_ids[0]
    fake.faults.add("DELETE /connect/calendar_bookings/{id}", Fault.drop_after_commit())
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await wire.call("DELETE", f"{BOOKINGS}{booking_id}")
    assert booking_id not in fake.state.bookings
    assert (await wire.call("DELETE", f"{BOOKINGS}{booking_id}")).status == 404


async def test_default_aiohttp_session_repeats_a_dropped_get(fake: FakeRocketLead) -> None:
    # Documents the client-side behaviour the SDK must switch off: the drop is invisible.
    fake.faults.add(CALENDARS, Fault.drop_before())
    assert await fresh_get_status(fake.url + "/connect/calendar/", fake.tokens.read) == 200
    assert fake.request_count(CALENDARS) == 2


async def test_drop_on_a_kept_alive_connection(fake: FakeRocketLead) -> None:
    headers = {"Authorization": f"Bearer {fake.tokens.admin}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        async with session.get(fake.url + "/connect/tables/") as first:
            assert first.status == 200
        fake.faults.add(POST_BOOKING, Fault.drop_before())
        with pytest.raises(aiohttp.ServerDisconnectedError):
            await session.post(fake.url + BOOKINGS, json=booking_body(fake))
        async with session.get(fake.url + "/connect/tables/") as after:
            assert after.status == 200
    assert created(fake) == 0


@pytest.mark.parametrize("status", [502, 503, 504])
async def test_html(wire: Wire, fake: FakeRocketLead, status: int) -> None:
    fake.faults.add(POST_BOOKING, Fault.html(status))
    reply = await wire.post(BOOKINGS, booking_body(fake))
    assert reply.status == status
    assert reply.headers["Content-Type"].startswith("text/html")
    assert f"<h1>{status} ".encode() in reply.raw
    assert reply.json is None
    assert created(fake) == 0


async def test_empty(wire: Wire, fake: FakeRocketLead) -> None:
    fake.faults.add(CALENDARS, Fault.empty(502))
    fake.faults.add(POST_BOOKING, Fault.empty(201, commit=True))
    reply = await wire.get("/connect/calendar/")
    assert (reply.status, reply.raw) == (502, b"")
    assert reply.headers["Content-Type"].startswith("application/json")
    posted = await wire.post(BOOKINGS, booking_body(fake))
    assert (posted.status, posted.raw) == (201, b"")
    assert created(fake) == 1


async def test_truncated_post_commits(wire: Wire, fake: FakeRocketLead) -> None:
    fake.faults.add(POST_BOOKING, Fault.truncated())
    reply = await wire.post(BOOKINGS, booking_body(fake))
    assert reply.status == 201
    assert reply.raw.startswith(b'{"organizationId"')
    assert int(reply.headers["Content-Length"]) == len(reply.raw)
    with pytest.raises(ValueError):  # noqa: PT011 - any JSON decode error
        json.loads(reply.raw)
    assert created(fake) == 1


async def test_truncated_with_status_override(wire: Wire, fake: FakeRocketLead) -> None:
    fake.faults.add(CALENDARS, Fault.truncated(status=500))
    reply = await wire.get("/connect/calendar/")
    assert reply.status == 500
    assert reply.raw.startswith(b'[{"id"')
    assert reply.json is None


async def test_truncated_mid_stream(wire: Wire, fake: FakeRocketLead) -> None:
    fake.faults.add(POST_BOOKING, Fault.truncated(mid_stream=True))
    with pytest.raises(aiohttp.ClientPayloadError):
        await wire.post(BOOKINGS, booking_body(fake))
    assert created(fake) == 1


async def test_wrong_shape(wire: Wire, fake: FakeRocketLead) -> None:
    fake.faults.add(CALENDARS, Fault.wrong_shape())
    fake.faults.add("GET /connect/tables/{id}", Fault.wrong_shape())
    fake.faults.add(POST_BOOKING, Fault.wrong_shape())
    listing = await wire.get("/connect/calendar/")
    assert listing.status == 200
    assert isinstance(listing.json, dict)
    item = await wire.get(f"/connect/tables/{fake.demo.table_id}")
    assert isinstance(item.json, list)
    posted = await wire.post(BOOKINGS, booking_body(fake))
    assert posted.status == 201
    assert isinstance(posted.json, list)
    assert created(fake) == 1


async def test_wrong_shape_with_chosen_body(wire: Wire, fake: FakeRocketLead) -> None:
    fake.faults.add(CALENDARS, Fault.wrong_shape(body="calendar"))
    fake.faults.add(CALENDARS, Fault.wrong_shape(body=None))
    fake.faults.add("DELETE /connect/calendar_bookings/{id}", Fault.wrong_shape())
    assert (await wire.get("/connect/calendar/")).json == "calendar"
    null = await wire.get("/connect/calendar/")
    assert (null.status, null.raw) == (200, b"null")
    deleted = await wire.call("DELETE", f"{BOOKINGS}{fake.demo.booking_ids[0]}")
    assert deleted.status == 200
    assert isinstance(deleted.json, list)


@pytest.mark.parametrize("content_length", [True, False])
async def test_huge(wire: Wire, fake: FakeRocketLead, content_length: bool) -> None:
    size = 300_000
    fake.faults.add(CALENDARS, Fault.huge(size, content_length=content_length))
    reply = await wire.get("/connect/calendar/")
    assert reply.status == 200
    assert len(reply.raw) == size
    assert json.loads(reply.raw)["padding"].startswith("xxx")
    if content_length:
        assert reply.headers["Content-Length"] == str(size)
    else:
        assert reply.headers["Transfer-Encoding"] == "chunked"


async def test_huge_body_the_client_abandons(fake: FakeRocketLead) -> None:
    fake.faults.add(CALENDARS, Fault.huge(5_000_000, content_length=False))
    url = fake.url + "/connect/calendar/"
    headers = {"Authorization": f"Bearer {fake.tokens.read}"}
    async with aiohttp.ClientSession(headers=headers) as session, session.get(url) as response:
        assert len(await response.content.read(1000)) > 0
        response.close()
    # The fake keeps serving after the client hung up mid-body.
    assert await fresh_get_status(url, fake.tokens.read) == 200


async def test_request_counters(wire: Wire, fake: FakeRocketLead) -> None:
    await wire.get("/connect/calendar/")
    await wire.get(f"/connect/calendar/{fake.demo.mitte_calendar_id}")
    await wire.get("/connect/calendar/", token=None)  # 401s count too
    await wire.get("/connect/nope/")
    assert fake.requests == [
        ("GET", "/connect/calendar/"),
        ("GET", "/connect/calendar/{id}"),
        ("GET", "/connect/calendar/"),
        ("GET", "/connect/nope/"),
    ]
    assert fake.requests[1].key == "GET /connect/calendar/{id}"
    assert fake.request_count(CALENDARS) == 2
    assert fake.request_count() == 4
